import { useEffect, useState, type FormEvent } from "react";
import type { ApiError } from "../api/client";
import { navigate, useQuery } from "../app/router";
import { Button } from "../components/Button";
import { ErrorMessage } from "../components/ErrorMessage";
import { TextField } from "../components/TextField";
import { useSessionControl } from "./session";

export const HOME = "/repositories";

/** Where `next=` may send the user: a path of the console, never another origin. */
export function safeNext(next: string | null): string {
  if (!next || !/^\/(?![/\\])/.test(next) || /[\u0000-\u001f\\]/.test(next) || next.startsWith("/sign-in")) return HOME;
  return next;
}

export function SignIn({ notice }: { notice?: string }) {
  const { signIn } = useSessionControl();
  const next = safeNext(useQuery().get("next"));
  const [login, setLogin] = useState("");
  const [secret, setSecret] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>();

  useEffect(() => {
    document.title = "Sign in · Berth";
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signIn(login.trim(), secret);
      navigate(next, { replace: true });
    } catch (err) {
      setError(err as ApiError);
      setBusy(false);
    }
  };

  return (
    <main id="main" className="sign-in" tabIndex={-1}>
      <form className="sign-in-form" onSubmit={submit} aria-labelledby="sign-in-title">
        <p className="brand">Berth</p>
        <h1 id="sign-in-title">Sign in</h1>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <TextField
          label="Login"
          value={login}
          onChange={setLogin}
          hint="<namespace>/<user>, for example berth/admin"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
          autoFocus
        />
        <TextField label="Secret" type="password" value={secret} onChange={setSecret} hint="An auth token or your console password" autoComplete="current-password" required />
        <ErrorMessage error={error} />
        <Button type="submit" variant="primary" disabled={busy} aria-busy={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </Button>
      </form>
    </main>
  );
}
