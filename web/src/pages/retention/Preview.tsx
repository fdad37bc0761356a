// "What would be deleted now": the preview of every policy or of one, with each image's size and
// the total. The preview names digests only; sizes come from the repositories' image lists.
import { useEffect, useMemo, useState } from "react";
import { api } from "../../api/client";
import { useApi } from "../../api/hooks";
import type { Image, RetentionPreview } from "../../api/types";
import { Button } from "../../components/Button";
import { DataTable } from "../../components/DataTable";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import { Select } from "../../components/Select";
import { formatBytes, formatTime, shortDigest } from "../../format";
import { reasonLabels } from "./rules";

export const ALL = "";

interface Row {
  policy: string;
  repository: string;
  digest: string;
  tags: string[];
  reasons: string[];
}

export function Preview({ tenancy, policies, policy, onPolicy }: { tenancy: string; policies: string[]; policy: string; onPolicy: (policy: string) => void }) {
  const path = policy === ALL ? `/tenancies/${encodeURIComponent(tenancy)}/retention/preview` : `/tenancies/${encodeURIComponent(tenancy)}/retention/policies/${encodeURIComponent(policy)}/preview`;
  const preview = useApi<RetentionPreview>(path);
  const rows = useMemo<Row[]>(
    () => (preview.data?.policies ?? []).flatMap((p) => p.deletions.map((d) => ({ policy: p.name, ...d }))),
    [preview.data],
  );
  const sizes = useImageSizes(rows);
  const known = rows.every((r) => sizes.has(key(r)));
  const total = rows.reduce((sum, r) => sum + (sizes.get(key(r)) ?? 0), 0);
  const cooling = (preview.data?.policies ?? []).filter((p) => !p.inEffect && p.effectiveAt !== null);

  return (
    <section className="retention-preview" aria-labelledby="retention-preview-title">
      <h2 id="retention-preview-title">Preview</h2>
      <p>What the policies would delete if they ran now, ignoring the cooling period.</p>
      <div className="retention-toolbar">
        <Select
          label="Policy"
          value={policy}
          onChange={onPolicy}
          options={[{ value: ALL, label: "All policies" }, { value: "global", label: "Global policy" }, ...policies.map((p) => ({ value: p, label: p }))]}
        />
        <Button variant="plain" type="button" onClick={preview.reload}>
          Refresh preview
        </Button>
      </div>
      <ErrorMessage error={preview.error} />
      {preview.loading && !preview.data ? (
        <Loading />
      ) : (
        preview.data && (
          <>
            <p className="retention-total" aria-live="polite">
              {rows.length === 0
                ? "Nothing would be deleted now."
                : `${rows.length} ${rows.length === 1 ? "image" : "images"} would be deleted, freeing ${known ? "" : "at least "}${formatBytes(total)}.`}
            </p>
            {cooling.map((p) => (
              <p key={p.name} className="retention-hint">
                {p.name === "global" ? "The global policy" : `Policy ${p.name}`} applies {formatTime(p.effectiveAt!)}, when its cooling period ends.
              </p>
            ))}
            {rows.length > 0 && (
              <DataTable<Row>
                caption="Images the retention policies would delete now"
                rows={rows}
                rowKey={(r) => `${r.policy} ${key(r)}`}
                columns={[
                  { key: "repository", header: "Repository", render: (r) => r.repository },
                  { key: "digest", header: "Digest", render: (r) => <code title={r.digest}>{shortDigest(r.digest)}</code> },
                  { key: "tags", header: "Tags", render: (r) => (r.tags.length === 0 ? <span className="retention-muted">untagged</span> : r.tags.join(", ")) },
                  { key: "size", header: "Size", align: "end", render: (r) => (sizes.has(key(r)) ? formatBytes(sizes.get(key(r))!) : "…") },
                  { key: "reason", header: "Reason", render: (r) => r.reasons.map((x) => reasonLabels[x] ?? x).join(", ") },
                  ...(policy === ALL ? [{ key: "policy", header: "Policy", render: (r: Row) => r.policy }] : []),
                ]}
              />
            )}
          </>
        )
      )}
    </section>
  );
}

const key = (r: { repository: string; digest: string }) => `${r.repository}@${r.digest}`;

/** Each listed image's size, read from its repository's image list (every page until all are found). */
function useImageSizes(rows: Row[]): Map<string, number> {
  const [sizes, setSizes] = useState(new Map<string, number>());
  useEffect(() => {
    let live = true;
    const wanted = new Map<string, Set<string>>();
    for (const r of rows) {
      if (!wanted.has(r.repository)) wanted.set(r.repository, new Set());
      wanted.get(r.repository)!.add(r.digest);
    }
    void Promise.all(
      [...wanted].map(async ([repository, digests]) => {
        const found: [string, number][] = [];
        let cursor: string | undefined;
        try {
          do {
            const page = await api.list<Image>(`/repositories/${encodeURIComponent(repository)}/images`, { limit: 1000, cursor });
            for (const image of page.items) if (digests.has(image.digest)) found.push([key({ repository, digest: image.digest }), image.size]);
            cursor = page.next;
          } while (cursor !== undefined && found.length < digests.size);
        } catch {
          // A repository the caller may not list keeps its sizes unknown ("…"); the total says "at least".
        }
        return found;
      }),
    ).then((all) => {
      if (live) setSizes(new Map(all.flat()));
    });
    return () => {
      live = false;
    };
  }, [rows]);
  return sizes;
}
