// Data hooks over the client: one read (useApi) and a paginated list (useList) that follows `next`.
import { useCallback, useEffect, useRef, useState } from "react";
import { toast } from "../components/toast";
import { api, ApiError, type Query } from "./client";

export interface ApiState<T> {
  data?: T;
  error?: ApiError;
  loading: boolean;
  reload(): void;
}

function asApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : new ApiError(0, "UNKNOWN", (err as Error)?.message ?? String(err));
}

const isAbort = (err: unknown) => (err as Error | undefined)?.name === "AbortError";

/** `path` null: nothing is fetched (a dependent read waiting for its input). */
export function useApi<T>(path: string | null, query?: Query): ApiState<T> {
  const key = path === null ? null : `${path}?${JSON.stringify(query ?? {})}`;
  const [state, setState] = useState<{ key: string | null; data?: T; error?: ApiError; loading: boolean }>({ key, loading: path !== null });
  const [generation, setGeneration] = useState(0);
  // The query travels in `key`; the ref only hands the effect its latest object.
  const queryRef = useRef(query);
  queryRef.current = query;

  useEffect(() => {
    if (path === null) {
      setState({ key, loading: false });
      return;
    }
    const controller = new AbortController();
    setState((previous) => ({ key, data: previous.key === key ? previous.data : undefined, loading: true }));
    api.get<T>(path, queryRef.current, controller.signal).then(
      (data) => setState({ key, data, loading: false }),
      (err: unknown) => {
        if (!isAbort(err)) setState({ key, error: asApiError(err), loading: false });
      },
    );
    return () => controller.abort();
  }, [key, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  // Until the effect runs for a new key, the previous key's answer must not show.
  if (state.key !== key) return { loading: path !== null, reload };
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export interface ListState<T> {
  items: T[];
  error?: ApiError;
  loading: boolean;
  /** the next page; undefined when there is none (or one is loading) */
  more?: () => void;
  reload(): void;
}

export function useList<T>(path: string | null, query?: Query): ListState<T> {
  const key = path === null ? null : `${path}?${JSON.stringify(query ?? {})}`;
  const [state, setState] = useState<{ key: string | null; items: T[]; next?: string; error?: ApiError; loading: boolean }>({ key, items: [], loading: path !== null });
  const [generation, setGeneration] = useState(0);
  const queryRef = useRef(query);
  queryRef.current = query;
  const controllerRef = useRef<AbortController | undefined>(undefined);

  useEffect(() => {
    if (path === null) {
      setState({ key, items: [], loading: false });
      return;
    }
    const controller = new AbortController();
    controllerRef.current = controller;
    // A reload keeps the rows on screen until the fresh page replaces them (no flash of an empty table).
    setState((previous) => ({ key, items: previous.key === key ? previous.items : [], loading: true }));
    api.list<T>(path, queryRef.current, controller.signal).then(
      (page) => setState({ key, items: page.items, next: page.next, loading: false }),
      (err: unknown) => {
        if (!isAbort(err)) setState({ key, items: [], error: asApiError(err), loading: false });
      },
    );
    return () => controller.abort();
  }, [key, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const current = state.key === key ? state : { key, items: [] as T[], loading: path !== null, next: undefined, error: undefined };
  const next = current.next;
  const more =
    path !== null && next !== undefined && !current.loading
      ? () => {
          const signal = controllerRef.current?.signal;
          setState((s) => ({ ...s, loading: true, error: undefined }));
          api.list<T>(path, { ...queryRef.current, cursor: next }, signal).then(
            (page) => setState((s) => (s.key === key ? { key, items: [...s.items, ...page.items], next: page.next, loading: false } : s)),
            (err: unknown) => {
              if (!isAbort(err)) setState((s) => (s.key === key ? { ...s, error: asApiError(err), loading: false } : s));
            },
          );
        }
      : undefined;
  return { items: current.items, error: current.error, loading: current.loading, more, reload };
}

export interface ActionState {
  busy: boolean;
  /** the API's refusal of the last run, for the page to show */
  error?: ApiError;
  /** Runs a write; on success says `done` in a toast and calls `after`. Other errors than the API's propagate. */
  run(action: () => Promise<unknown>, done: string, after?: () => void): Promise<void>;
}

/** A page's writes: busy while one runs, the API's error kept until the next. */
export function useAction(): ActionState {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const run = useCallback(async (action: () => Promise<unknown>, done: string, after?: () => void) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      toast(done);
      after?.();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      setError(err);
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run };
}
