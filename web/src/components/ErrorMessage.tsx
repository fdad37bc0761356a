import type { ApiError } from "../api/client";

/** The API's message, announced; nothing without an error. */
export function ErrorMessage({ error }: { error?: ApiError | Error }) {
  if (!error) return null;
  return (
    <p className="error-message" role="alert">
      {error.message}
    </p>
  );
}
