import type { ReactNode } from "react";
import { useApi } from "../../api/hooks";
import type { ImageDetail } from "../../api/types";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import { formatBytes, formatDate, formatTime, shortDigest } from "../../format";
import { repositoryApi } from "./names";
import { artifactTypeOf, platformName } from "./platform";

/** One image's layers, config summary, platforms (an index) and referrers, loaded when opened. */
export function ImageDetails({ name, digest }: { name: string; digest: string }) {
  const detail = useApi<ImageDetail>(`${repositoryApi(name)}/images/${digest}`);
  if (!detail.data) return detail.loading ? <Loading /> : <ErrorMessage error={detail.error} />;
  const d = detail.data;
  return (
    <div className="repo-details">
      <dl className="repo-facts">
        <dt>Digest</dt>
        <dd>
          <code>{d.digest}</code>
        </dd>
        <dt>Media type</dt>
        <dd>
          <code>{d.mediaType}</code>
        </dd>
        {artifactTypeOf(d) && (
          <>
            <dt>Artifact type</dt>
            <dd>
              <code>{artifactTypeOf(d)}</code>
            </dd>
          </>
        )}
        {d.subject && (
          <>
            <dt>Refers to</dt>
            <dd>
              <code title={d.subject}>{shortDigest(d.subject)}</code>
            </dd>
          </>
        )}
      </dl>
      {d.config && <ConfigSummary config={d.config} />}
      {d.layers && <Layers layers={d.layers} />}
      {d.manifests && <Platforms manifests={d.manifests} />}
      {d.referrers && d.referrers.length > 0 && <Referrers referrers={d.referrers} />}
    </div>
  );
}

function ConfigSummary({ config }: { config: NonNullable<ImageDetail["config"]> }) {
  const platform = config.os && config.architecture ? platformName({ os: config.os, architecture: config.architecture, variant: config.variant }) : undefined;
  const command = (words?: string[] | null) => (words && words.length > 0 ? <code>{JSON.stringify(words)}</code> : <span className="repo-muted">none</span>);
  return (
    <section aria-label="Config">
      <h3>Config</h3>
      <dl className="repo-facts">
        <dt>Platform</dt>
        <dd>{platform ?? <span className="repo-muted">not an image config</span>}</dd>
        <dt>Created</dt>
        <dd>{config.created ? <span title={config.created}>{formatDate(config.created)}</span> : <span className="repo-muted">unknown</span>}</dd>
        <dt>Entrypoint</dt>
        <dd>{command(config.entrypoint)}</dd>
        <dt>Command</dt>
        <dd>{command(config.cmd)}</dd>
        <dt>Config blob</dt>
        <dd>
          <code title={config.digest}>{shortDigest(config.digest)}</code> · <code>{config.mediaType}</code> · {formatBytes(config.size)}
        </dd>
      </dl>
    </section>
  );
}

interface Descriptor {
  digest: string;
  mediaType: string;
  size: number;
}

interface Column<T> {
  header: string;
  render: (row: T, index: number) => ReactNode;
  end?: boolean;
}

/** Descriptors (layers, an index's manifests, referrers) as a table: digest and size, with columns of their own. */
function DescriptorTable<T extends Descriptor>(props: { title: string; heading?: string; rows: T[]; before: Column<T>[]; after?: Column<T>[] }) {
  const { title, heading = title, rows, before, after = [] } = props;
  const columns: Column<T>[] = [...before, { header: "Digest", render: (d) => <code title={d.digest}>{shortDigest(d.digest)}</code> }, ...after];
  return (
    <section aria-label={title}>
      <h3>
        {heading} ({rows.length})
      </h3>
      <table className="data-table repo-subtable">
        <caption className="visually-hidden">{title}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.header} scope="col" className={c.end ? "align-end" : undefined}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={`${i}-${row.digest}`}>
              {columns.map((c) => (
                <td key={c.header} className={c.end ? "align-end" : undefined}>
                  {c.render(row, i)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

const mediaTypeColumn: Column<Descriptor> = { header: "Media type", render: (d) => <code>{d.mediaType}</code> };
const sizeColumn: Column<Descriptor> = { header: "Size", render: (d) => formatBytes(d.size), end: true };

function Layers({ layers }: { layers: NonNullable<ImageDetail["layers"]> }) {
  return <DescriptorTable title="Layers" rows={layers} before={[{ header: "#", render: (_, i) => i + 1 }]} after={[mediaTypeColumn, sizeColumn]} />;
}

function Platforms({ manifests }: { manifests: NonNullable<ImageDetail["manifests"]> }) {
  const platform: Column<(typeof manifests)[number]> = {
    header: "Platform",
    render: (m) => (m.platform ? platformName(m.platform) : <span className="repo-muted">unspecified</span>),
  };
  return <DescriptorTable title="Platforms" rows={manifests} before={[platform]} after={[mediaTypeColumn, sizeColumn]} />;
}

function Referrers({ referrers }: { referrers: NonNullable<ImageDetail["referrers"]> }) {
  type Referrer = (typeof referrers)[number];
  const kind: Column<Referrer> = { header: "Artifact type", render: (r) => <code>{r.artifactType ?? r.mediaType}</code> };
  const pushed: Column<Referrer> = { header: "Pushed", render: (r) => formatTime(r.pushedAt) };
  return <DescriptorTable title="Referrers" heading="Referrers: signatures, SBOMs and other artifacts" rows={referrers} before={[kind]} after={[sizeColumn, pushed]} />;
}
