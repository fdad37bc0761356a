import { useApi } from "../../api/hooks";
import type { Repository } from "../../api/types";
import { Link } from "../../app/router";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import { Page } from "../../components/Page";
import { Tabs } from "../../components/Tabs";
import { formatBytes, formatTime } from "../../format";
import { useCan } from "../../session/session";
import { DeleteRepository } from "./DeleteRepository";
import { HistoryTab } from "./HistoryTab";
import { ImagesTab } from "./ImagesTab";
import { repositoryApi } from "./names";
import { PullCommands } from "./PullCommands";
import { RepositorySettings } from "./RepositorySettings";
import { TagsTab } from "./TagsTab";
import { Visibility } from "./Visibility";

/**
 * One repository: its settings, pull commands, tags and images. The tags load alongside the
 * repository itself, not after it, so a large repository's first page of tags shows sooner.
 */
export function RepositoryPage({ name }: { name: string }) {
  const repo = useApi<Repository>(repositoryApi(name));
  const r = repo.data;
  const canReadHistory = useCan("ReadAuditEvents");

  if (repo.error) {
    return (
      <Page title={name}>
        <ErrorMessage error={repo.error} />
        <p>
          <Link to="/repositories">All repositories</Link>
        </p>
      </Page>
    );
  }
  const count = (n: number | undefined) => (n === undefined ? "" : ` (${n.toLocaleString("en-US")})`);
  return (
    <Page title={name} description={r ? <RepositorySummary repo={r} /> : undefined} actions={<DeleteRepository name={name} />}>
      {r ? <RepositorySettings repo={r} onChanged={repo.reload} /> : <Loading />}
      <PullCommands name={name} />
      <Tabs
        label="Repository contents"
        tabs={[
          { id: "tags", label: `Tags${count(r?.tags)}`, render: () => <TagsTab name={name} onChanged={repo.reload} /> },
          { id: "images", label: `Images${count(r?.manifests)}`, render: () => <ImagesTab name={name} onChanged={repo.reload} /> },
          ...(canReadHistory ? [{ id: "history", label: "History", render: () => <HistoryTab name={name} /> }] : []),
        ]}
      />
    </Page>
  );
}

function RepositorySummary({ repo }: { repo: Repository }) {
  return (
    <span className="repo-summary">
      <Visibility isPublic={repo.isPublic} /> {formatBytes(repo.size)} · {repo.pulls.toLocaleString("en-US")} pulls · last push{" "}
      {repo.lastPushedAt ? formatTime(repo.lastPushedAt) : "never"}
    </span>
  );
}
