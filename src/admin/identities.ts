// Users, groups and group membership inside one tenancy, managed by its Administrators.
import { randomUUID } from "node:crypto";
import { unlockLogin } from "../auth/rate-limit.js";
import { isValidIdentifier } from "../iam/names.js";
import { ADMINISTRATORS, isAdministratorsGroup, type Principal } from "../iam/principal.js";
import type { Group, User } from "../iam/store.js";
import type { AdminContext } from "./context.js";
import { conflict, invalid, notFound } from "./errors.js";
import type { TokenAdmin } from "./tokens.js";

export class IdentityAdmin {
  constructor(
    private readonly ctx: AdminContext,
    private readonly tokens: TokenAdmin,
  ) {}

  async createUser(actor: Principal, tenancy: string, input: { name: string; description?: string }): Promise<User> {
    await this.tenancyExists(tenancy);
    if (!isValidIdentifier(input.name)) throw invalid(`invalid user name "${input.name}"`);
    if (await this.ctx.iam.getUser(tenancy, input.name)) throw conflict(`user ${tenancy}/${input.name} already exists`);
    const user: User = { id: randomUUID(), tenancy, name: input.name, description: input.description ?? "", createdAt: this.ctx.now() };
    await this.ctx.iam.createUser(user);
    this.ctx.audit.record({ actor, action: "CreateUser", target: `${tenancy}/${user.name}`, outcome: "ok", tenancy });
    return user;
  }

  async listUsers(actor: Principal, tenancy: string): Promise<User[]> {
    return this.ctx.iam.listUsers(tenancy);
  }

  async getUser(actor: Principal, tenancy: string, name: string): Promise<{ user: User; groups: Group[] }> {
    const user = await this.ctx.iam.getUser(tenancy, name);
    if (!user) throw notFound(`user ${tenancy}/${name}`);
    return { user, groups: await this.ctx.iam.groupsOfUser(user.id) };
  }

  async deleteUser(actor: Principal, tenancy: string, name: string): Promise<void> {
    const user = await this.ctx.iam.getUser(tenancy, name);
    if (!user) throw notFound(`user ${tenancy}/${name}`);
    if (actor.kind === "user" && actor.userId === user.id) throw invalid("you cannot delete yourself");
    const tokens = await this.ctx.iam.listAuthTokens(user.id);
    await this.ctx.iam.deleteUser(user.id);
    for (const t of tokens) this.tokens.revoked(t.id);
    this.ctx.audit.record({ actor, action: "DeleteUser", target: `${tenancy}/${name}`, outcome: "ok", tenancy });
  }

  /**
   * Lifts the failed-login throttle of `tenancy/name` from every address, in every process (the
   * counters live in the shared database). An address throttled as a whole stays throttled: many
   * logins failed there, not just this user's.
   */
  async unlockUser(actor: Principal, tenancy: string, name: string): Promise<void> {
    const user = await this.ctx.iam.getUser(tenancy, name);
    if (!user) throw notFound(`user ${tenancy}/${name}`);
    await unlockLogin(this.ctx.iam, `${tenancy}/${user.name}`);
    this.ctx.audit.record({ actor, action: "UnlockUser", target: `${tenancy}/${name}`, outcome: "ok", tenancy });
  }

  async createGroup(actor: Principal, tenancy: string, input: { name: string; description?: string }): Promise<Group> {
    await this.tenancyExists(tenancy);
    if (!isValidIdentifier(input.name)) throw invalid(`invalid group name "${input.name}"`);
    if (await this.ctx.iam.getGroup(tenancy, input.name)) throw conflict(`group ${input.name} already exists in ${tenancy}`);
    const group: Group = { id: randomUUID(), tenancy, name: input.name, description: input.description ?? "", createdAt: this.ctx.now() };
    await this.ctx.iam.createGroup(group);
    this.ctx.audit.record({ actor, action: "CreateGroup", target: `${tenancy}/${group.name}`, outcome: "ok", tenancy });
    return group;
  }

  async listGroups(actor: Principal, tenancy: string): Promise<Group[]> {
    return this.ctx.iam.listGroups(tenancy);
  }

  async deleteGroup(actor: Principal, tenancy: string, name: string): Promise<void> {
    const group = await this.group(tenancy, name);
    if (isAdministratorsGroup(group.name)) throw invalid(`the ${ADMINISTRATORS} group cannot be deleted`);
    await this.ctx.iam.deleteGroup(group.id);
    this.ctx.audit.record({ actor, action: "DeleteGroup", target: `${tenancy}/${group.name}`, outcome: "ok", tenancy });
  }

  async addMember(actor: Principal, tenancy: string, groupName: string, userName: string): Promise<void> {
    const group = await this.group(tenancy, groupName);
    const user = await this.ctx.iam.getUser(tenancy, userName);
    if (!user) throw notFound(`user ${tenancy}/${userName}`);
    await this.ctx.iam.addMember(group.id, user.id);
    this.ctx.audit.record({ actor, action: "AddUserToGroup", target: `${tenancy}/${group.name}`, outcome: "ok", tenancy, detail: userName });
  }

  async removeMember(actor: Principal, tenancy: string, groupName: string, userName: string): Promise<void> {
    const group = await this.group(tenancy, groupName);
    const user = await this.ctx.iam.getUser(tenancy, userName);
    if (!user || !(await this.ctx.iam.removeMember(group.id, user.id))) throw notFound(`member ${userName} of group ${group.name}`);
    this.ctx.audit.record({ actor, action: "RemoveUserFromGroup", target: `${tenancy}/${group.name}`, outcome: "ok", tenancy, detail: userName });
  }

  async listMembers(actor: Principal, tenancy: string, groupName: string): Promise<User[]> {
    return this.ctx.iam.listMembers((await this.group(tenancy, groupName)).id);
  }

  private async group(tenancy: string, name: string): Promise<Group> {
    const group = await this.ctx.iam.getGroup(tenancy, name);
    if (!group) throw notFound(`group ${tenancy}/${name}`);
    return group;
  }

  private async tenancyExists(tenancy: string): Promise<void> {
    if (!(await this.ctx.iam.getTenancy(tenancy))) throw notFound(`tenancy ${tenancy}`);
  }
}
