// Which repository actions a principal gets: the tenancy's policies and public repositories for
// everyone's pulls. (The repository limit is the metadata store's, decided when a repository is
// created, so a token fetched earlier cannot pass it.) Shared by the token endpoint
// (what goes into a token) and direct Basic/anonymous requests, so they can never disagree.
import type { AccessControl } from "../iam/access.js";
import { splitRepository } from "../iam/names.js";
import type { Principal } from "../iam/principal.js";
import type { IamStore } from "../iam/store.js";
import type { RepositoryAction } from "./authorizer.js";

export class AccessGranter {
  constructor(
    private readonly iam: IamStore,
    private readonly access: AccessControl,
  ) {}

  async grant(principal: Principal, repository: string, requested: RepositoryAction[]): Promise<Set<RepositoryAction>> {
    const granted = new Set<RepositoryAction>();
    const { namespace, path } = splitRepository(repository);
    if (path === "") return granted;
    const info = await this.iam.getRepositoryInfo(repository);
    const may = (operation: Parameters<AccessControl["allowed"]>[1]["operation"]) =>
      this.access.allowed(principal, { operation, tenancy: namespace, repository: path });
    for (const action of new Set(requested)) {
      if (action === "pull") {
        if (info?.isPublic || (await may("PullImage"))) granted.add("pull");
      } else if (action === "push") {
        if (!(await may("PushImage"))) continue;
        if (info || (await may("CreateContainerRepository"))) granted.add("push");
      } else if (action === "delete") {
        if (await may("DeleteImage")) granted.add("delete");
      }
    }
    return granted;
  }

  async visible(principal: Principal, names: string[]): Promise<string[]> {
    const out: string[] = [];
    for (const name of names) {
      const { namespace, path } = splitRepository(name);
      if (await this.access.allowed(principal, { operation: "ListDockerRepositories", tenancy: namespace, repository: path })) out.push(name);
    }
    return out;
  }
}
