// The catalog: repository names, sorted, paginated, limited to what the caller may see.
import type { RegistryContext } from "./context.js";

export type Visibility = (names: string[]) => Promise<string[]>;

export class RepositoryService {
  constructor(private readonly ctx: RegistryContext) {}

  /**
   * Up to `limit` names after `last` that pass `visible`, reading the store page by page so a
   * caller who sees few repositories still gets full pages.
   */
  async list(limit: number, last: string | undefined, prefix?: string, visible?: Visibility): Promise<string[]> {
    if (!visible) return this.ctx.meta.listRepositories({ limit, last, prefix });
    const out: string[] = [];
    let cursor = last;
    while (out.length < limit) {
      const page = await this.ctx.meta.listRepositories({ limit: Math.max(limit, 100), last: cursor, prefix });
      if (page.length === 0) break;
      out.push(...(await visible(page)));
      cursor = page[page.length - 1];
    }
    return out.slice(0, limit);
  }
}
