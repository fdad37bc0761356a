import { useState } from "react";
import { api } from "../../api/client";
import { useList } from "../../api/hooks";
import type { Image } from "../../api/types";
import { registryHost } from "../../app/registry-host";
import { Button } from "../../components/Button";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { CopyButton } from "../../components/CopyButton";
import { EmptyState } from "../../components/EmptyState";
import { ErrorMessage } from "../../components/ErrorMessage";
import { LoadMore } from "../../components/LoadMore";
import { Loading } from "../../components/Loading";
import { toast } from "../../components/toast";
import { formatBytes, formatTime, shortDigest } from "../../format";
import { useCan } from "../../session/session";
import { ImageDetails } from "./ImageDetails";
import { repositoryApi } from "./names";
import { artifactTypeOf, platformName } from "./platform";

const COLUMNS = 7;

/**
 * A repository's images (manifests), each expandable to its layers, config, platforms and
 * referrers. One <tbody> per image keeps its details row next to it in the table.
 */
export function ImagesTab({ name, onChanged }: { name: string; onChanged(): void }) {
  const images = useList<Image>(`${repositoryApi(name)}/images`);
  const canDelete = useCan("DeleteImage", { repository: name });
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const [deleting, setDeleting] = useState<string>();
  const image = `${registryHost()}/${name}`;

  const toggle = (digest: string) =>
    setOpen((was) => {
      const next = new Set(was);
      if (!next.delete(digest)) next.add(digest);
      return next;
    });

  if (images.loading && images.items.length === 0) return <Loading />;
  return (
    <div className="repo-tab">
      <ErrorMessage error={images.error} />
      {images.items.length === 0 && !images.error ? (
        <EmptyState title="No images">Push one with docker push {image}:&lt;tag&gt;.</EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="data-table repo-images">
            <caption className="visually-hidden">Images of {name}</caption>
            <thead>
              <tr>
                <th scope="col">Digest</th>
                <th scope="col">Tags</th>
                <th scope="col" className="align-end">Size</th>
                <th scope="col">Pushed</th>
                <th scope="col">Pulls</th>
                <th scope="col">Platforms or type</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            {images.items.map((i) => {
              const expanded = open.has(i.digest);
              const detailsId = `image-${i.digest.replace(/[^a-z0-9]/gi, "-")}`;
              return (
                <tbody key={i.digest}>
                  <tr>
                    <td>
                      <button
                        type="button"
                        className="repo-disclosure"
                        aria-label={`Details of ${shortDigest(i.digest)}`}
                        aria-expanded={expanded}
                        aria-controls={detailsId}
                        onClick={() => toggle(i.digest)}
                      >
                        <code title={i.digest}>{shortDigest(i.digest)}</code>
                      </button>
                    </td>
                    <td>{i.tags.length > 0 ? i.tags.map((t) => <code key={t} className="repo-tag">{t}</code>) : <span className="repo-muted">untagged</span>}</td>
                    <td className="align-end repo-nowrap">{formatBytes(i.size)}</td>
                    <td className="repo-nowrap">
                      {formatTime(i.pushedAt)}
                      <div className="repo-muted">by {i.pushedBy ?? "unknown"}</div>
                    </td>
                    <td className="repo-nowrap">
                      {i.pullCount.toLocaleString("en-US")}
                      <div className="repo-muted">last pulled {formatTime(i.lastPulledAt)}</div>
                    </td>
                    <td className="repo-kind">{i.platforms ? i.platforms.map(platformName).join(", ") : artifactTypeOf(i) && <code>{artifactTypeOf(i)}</code>}</td>
                    <td>
                      <div className="repo-actions">
                        <CopyButton text={`docker pull ${image}@${i.digest}`} label={`Copy pull command for ${shortDigest(i.digest)}`} />
                        {canDelete && (
                          <Button variant="plain" onClick={() => setDeleting(i.digest)} aria-label={`Delete image ${shortDigest(i.digest)}`}>
                            Delete
                          </Button>
                        )}
                      </div>
                    </td>
                  </tr>
                  {expanded && (
                    <tr className="repo-details-row">
                      <td colSpan={COLUMNS} id={detailsId}>
                        <ImageDetails name={name} digest={i.digest} />
                      </td>
                    </tr>
                  )}
                </tbody>
              );
            })}
          </table>
        </div>
      )}
      <LoadMore more={images.more} loading={images.loading} />
      {deleting !== undefined && (
        <ConfirmDialog
          title={`Delete image ${shortDigest(deleting)}?`}
          confirmLabel="Delete image"
          danger
          onClose={() => setDeleting(undefined)}
          onConfirm={async () => {
            await api.delete(`${repositoryApi(name)}/images/${deleting}`);
            toast(`Deleted image ${shortDigest(deleting)}`);
            setDeleting(undefined);
            images.reload();
            onChanged();
          }}
        >
          <p>
            The image <code>{deleting}</code> and every tag pointing at it are deleted from {name}. Clients pulling it by tag or digest fail from now on.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
