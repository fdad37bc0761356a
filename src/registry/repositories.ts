// The catalog: repository names, sorted, paginated.
import type { RegistryContext } from "./context.js";

export class RepositoryService {
  constructor(private readonly ctx: RegistryContext) {}

  list(limit: number, last: string | undefined): Promise<string[]> {
    return this.ctx.meta.listRepositories({ limit, last });
  }
}
