// A value loaded by an async function, reloaded when its key changes or on demand; a late answer
// for an old key is dropped.
import { useCallback, useEffect, useState } from "react";
import { ApiError } from "../../api/client";

export interface Loaded<T> {
  data?: T;
  error?: ApiError;
  loading: boolean;
  reload(): void;
}

export function useLoaded<T>(key: string | null, load: () => Promise<T>): Loaded<T> {
  const [state, setState] = useState<{ key: string | null; data?: T; error?: ApiError }>({ key: null });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    if (key === null) return;
    let current = true;
    load().then(
      (data) => current && setState({ key, data }),
      (err: unknown) => current && setState({ key, error: err instanceof ApiError ? err : new ApiError(0, "UNKNOWN", String(err)) }),
    );
    return () => {
      current = false;
    };
    // `load` closes over what `key` names; the key alone decides when to load again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const fresh = state.key === key;
  return { data: fresh ? state.data : undefined, error: fresh ? state.error : undefined, loading: key !== null && !fresh, reload };
}
