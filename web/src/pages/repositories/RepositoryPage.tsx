import { useApi } from "../../api/hooks";
import type { Repository } from "../../api/types";
import { Link } from "../../app/router";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import { Page } from "../../components/Page";
import { Tabs } from "../../components/Tabs";
import { formatBytes, formatTime } from "../../format";
import { DeleteRepository } from "./DeleteRepository";
import { ImagesTab } from "./ImagesTab";
import { repositoryApi } from "./names";
import { PullCommands } from "./PullCommands";
import { RepositorySettings } from "./RepositorySettings";
import { TagsTab } from "./TagsTab";
import { Visibility } from "./Visibility";

/** One repository: its settings, pull commands, tags and images. */
export function RepositoryPage({ name }: { name: string }) {
  const repo = useApi<Repository>(repositoryApi(name));

  if (!repo.data) {
    return (
      <Page title={name}>
        {repo.loading ? <Loading /> : <ErrorMessage error={repo.error} />}
        <p>
          <Link to="/repositories">All repositories</Link>
        </p>
      </Page>
    );
  }
  const r = repo.data;
  return (
    <Page title={r.name} description={<RepositorySummary repo={r} />} actions={<DeleteRepository name={r.name} />}>
      <RepositorySettings repo={r} onChanged={repo.reload} />
      <PullCommands name={r.name} />
      <Tabs
        label="Repository contents"
        tabs={[
          { id: "tags", label: `Tags (${r.tags.toLocaleString("en-US")})`, render: () => <TagsTab name={r.name} onChanged={repo.reload} /> },
          { id: "images", label: `Images (${r.manifests.toLocaleString("en-US")})`, render: () => <ImagesTab name={r.name} onChanged={repo.reload} /> },
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
