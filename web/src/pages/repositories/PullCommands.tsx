import { useList } from "../../api/hooks";
import type { Tag } from "../../api/types";
import { registryHost } from "../../app/registry-host";
import { Command } from "./Command";
import { repositoryApi } from "./names";

/** `docker pull` by tag and by digest, for the repository's first tag (one row asked for). */
export function PullCommands({ name }: { name: string }) {
  const first = useList<Tag>(`${repositoryApi(name)}/tags`, { limit: 1 });
  const tag = first.items[0];
  const image = `${registryHost()}/${name}`;
  return (
    <section className="repo-pull" aria-label="Pull commands">
      <Command command={`docker pull ${image}:${tag?.name ?? "<tag>"}`} label="Copy pull command by tag" />
      {tag && <Command command={`docker pull ${image}@${tag.digest}`} label="Copy pull command by digest" />}
    </section>
  );
}
