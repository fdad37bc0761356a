// Which groups each user of a tenancy is in, for the users list. The API lists members per group,
// so this is one request per group (a tenancy has few groups), not one per user.
import { useCallback } from "react";
import { apiPaths } from "./paths";
import { loadAll } from "./load-all";
import type { Group, User } from "../../api/types";
import { useLoaded, type Loaded } from "./use-loaded";

export function useMemberships(tenancy: string, enabled: boolean): Loaded<Map<string, string[]>> {
  const load = useCallback(async () => {
    const groups = await loadAll<Group>(apiPaths.groups(tenancy));
    const members = await Promise.all(groups.map((g) => loadAll<User>(apiPaths.members(tenancy, g.name))));
    const byUser = new Map<string, string[]>();
    groups.forEach((group, i) => {
      for (const user of members[i]!) byUser.set(user.name, [...(byUser.get(user.name) ?? []), group.name]);
    });
    return byUser;
  }, [tenancy]);
  return useLoaded(enabled ? `memberships ${tenancy}` : null, load);
}
