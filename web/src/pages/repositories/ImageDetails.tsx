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

function Layers({ layers }: { layers: NonNullable<ImageDetail["layers"]> }) {
  return (
    <section aria-label="Layers">
      <h3>Layers ({layers.length})</h3>
      <table className="data-table repo-subtable">
        <caption className="visually-hidden">Layers</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Digest</th>
            <th scope="col">Media type</th>
            <th scope="col" className="align-end">Size</th>
          </tr>
        </thead>
        <tbody>
          {layers.map((l, i) => (
            <tr key={`${i}-${l.digest}`}>
              <td>{i + 1}</td>
              <td>
                <code title={l.digest}>{shortDigest(l.digest)}</code>
              </td>
              <td>
                <code>{l.mediaType}</code>
              </td>
              <td className="align-end">{formatBytes(l.size)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Platforms({ manifests }: { manifests: NonNullable<ImageDetail["manifests"]> }) {
  return (
    <section aria-label="Platforms">
      <h3>Platforms ({manifests.length})</h3>
      <table className="data-table repo-subtable">
        <caption className="visually-hidden">Platforms</caption>
        <thead>
          <tr>
            <th scope="col">Platform</th>
            <th scope="col">Digest</th>
            <th scope="col">Media type</th>
            <th scope="col" className="align-end">Size</th>
          </tr>
        </thead>
        <tbody>
          {manifests.map((m) => (
            <tr key={m.digest}>
              <td>{m.platform ? platformName(m.platform) : <span className="repo-muted">unspecified</span>}</td>
              <td>
                <code title={m.digest}>{shortDigest(m.digest)}</code>
              </td>
              <td>
                <code>{m.mediaType}</code>
              </td>
              <td className="align-end">{formatBytes(m.size)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Referrers({ referrers }: { referrers: NonNullable<ImageDetail["referrers"]> }) {
  return (
    <section aria-label="Referrers">
      <h3>Referrers: signatures, SBOMs and other artifacts ({referrers.length})</h3>
      <table className="data-table repo-subtable">
        <caption className="visually-hidden">Referrers</caption>
        <thead>
          <tr>
            <th scope="col">Artifact type</th>
            <th scope="col">Digest</th>
            <th scope="col" className="align-end">Size</th>
            <th scope="col">Pushed</th>
          </tr>
        </thead>
        <tbody>
          {referrers.map((r) => (
            <tr key={r.digest}>
              <td>
                <code>{r.artifactType ?? r.mediaType}</code>
              </td>
              <td>
                <code title={r.digest}>{shortDigest(r.digest)}</code>
              </td>
              <td className="align-end">{formatBytes(r.size)}</td>
              <td>{formatTime(r.pushedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
