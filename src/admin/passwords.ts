// Console passwords: a user sets their own (or a tenancy's Administrators set it for them), to sign
// in to the console and generate auth tokens there. Setting one ends the user's other sessions.
// Who may is decided before this is called (SetConsolePassword on the user, src/api/session-routes.ts).
import { hashPassword, passwordProblem } from "../auth/password-hash.js";
import type { Principal } from "../iam/principal.js";
import type { AdminContext } from "./context.js";
import { invalid, notFound } from "./errors.js";

export class PasswordAdmin {
  constructor(private readonly ctx: AdminContext) {}

  /**
   * Sets `tenancy/userName`'s console password and ends that user's sessions, except `keepSession`
   * (the SHA-256 id of the session the change is made from, so a user changing their own stays in).
   */
  async set(actor: Principal, tenancy: string, userName: string, password: unknown, keepSession?: string): Promise<void> {
    const user = await this.ctx.iam.getUser(tenancy, userName);
    if (!user) throw notFound(`user ${tenancy}/${userName}`);
    if (typeof password !== "string") throw invalid('"password" must be a string');
    const problem = passwordProblem(password);
    if (problem) throw invalid(problem);
    if (!(await this.ctx.iam.setConsolePassword(user.id, await hashPassword(password), this.ctx.now(), keepSession))) {
      throw notFound(`user ${tenancy}/${userName}`);
    }
    this.ctx.audit.record({ actor, action: "SetConsolePassword", target: `${tenancy}/${userName}`, outcome: "ok", tenancy });
  }
}
