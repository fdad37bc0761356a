import { api } from "../../api/client";
import type { Repository } from "../../api/types";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Toggle } from "../../components/Toggle";
import { useAction } from "../../api/hooks";
import { useCan } from "../../session/session";
import { repositoryApi } from "./names";
import { RetentionMembership } from "./RetentionMembership";

/** Public/private, immutable tags and the retention policy of one repository. */
export function RepositorySettings({ repo, onChanged }: { repo: Repository; onChanged(): void }) {
  const canUpdate = useCan("UpdateContainerRepository", { repository: repo.name });
  const { busy, error, run } = useAction();
  const update = (change: { isPublic?: boolean; immutableTags?: boolean }, done: string) =>
    run(() => api.patch<Repository>(repositoryApi(repo.name), change), done, onChanged);

  return (
    <section className="repo-settings" aria-label="Settings">
      {canUpdate && (
        <>
          <Toggle
            label="Public (anyone may pull)"
            checked={repo.isPublic}
            disabled={busy}
            onChange={(on) => update({ isPublic: on }, `${repo.name} is now ${on ? "public" : "private"}`)}
          />
          <Toggle
            label="Immutable tags"
            checked={repo.immutableTags}
            disabled={busy}
            onChange={(on) => update({ immutableTags: on }, on ? `Tags of ${repo.name} can no longer move or be deleted` : `Tags of ${repo.name} may move again`)}
          />
        </>
      )}
      {canUpdate === false && repo.immutableTags && <p>Tags are immutable: a pushed tag never moves.</p>}
      <RetentionMembership name={repo.name} />
      <ErrorMessage error={error} />
    </section>
  );
}
