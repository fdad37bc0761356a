import { Button } from "./Button";

/** The next page of a useList; nothing when there is none. */
export function LoadMore({ more, loading }: { more?: () => void; loading: boolean }) {
  if (!more && !loading) return null;
  return (
    <div className="load-more">
      <Button onClick={more} disabled={!more || loading} aria-busy={loading}>
        {loading ? "Loading…" : "Load more"}
      </Button>
    </div>
  );
}
