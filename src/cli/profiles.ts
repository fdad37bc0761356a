// Where `berth login` keeps who the CLI acts as: $XDG_CONFIG_HOME/berth/config.json (default
// ~/.config/berth/). It holds auth tokens, so the directory is 0700, the file 0600, and every
// write replaces the file whole (a crash leaves the old file or the new one, never half of one).
import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";

export interface Profile {
  /** base URL of the registry, e.g. https://registry.example.com */
  url: string;
  /** `<namespace>/<user>` */
  login: string;
  /** the user's auth token */
  token: string;
  /** accept any TLS certificate (a self-signed registry, for tests) */
  insecure?: boolean;
  /** PEM file of the CA that signed the registry's certificate */
  ca?: string;
}

interface ProfilesFile {
  profiles: Record<string, Profile>;
}

export const DEFAULT_PROFILE = "default";

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith("/") ? env.XDG_CONFIG_HOME : join(homedir(), ".config");
  return join(base, "berth");
}

/** The profile's name: `--profile`, else BERTH_PROFILE, else "default". */
export function profileName(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag || env.BERTH_PROFILE || DEFAULT_PROFILE;
}

export class Profiles {
  readonly file: string;

  constructor(readonly dir: string = configDir()) {
    this.file = join(dir, "config.json");
  }

  async get(name: string): Promise<Profile | undefined> {
    return (await this.read()).profiles[name];
  }

  async save(name: string, profile: Profile): Promise<void> {
    const all = await this.read();
    all.profiles[name] = profile;
    await this.write(all);
  }

  /** false when there was no such profile */
  async remove(name: string): Promise<boolean> {
    const all = await this.read();
    if (!(name in all.profiles)) return false;
    delete all.profiles[name];
    await this.write(all);
    return true;
  }

  private async read(): Promise<ProfilesFile> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { profiles: {} };
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`${this.file} is not valid JSON; fix or remove it, then log in again`);
    }
    const profiles = (parsed as Partial<ProfilesFile> | null)?.profiles;
    if (typeof profiles !== "object" || profiles === null) throw new Error(`${this.file} has no "profiles" object; fix or remove it`);
    return { profiles: profiles as Record<string, Profile> };
  }

  private async write(all: ProfilesFile): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // mkdir leaves an existing directory's mode alone: the tokens must not be readable by others
    await chmod(this.dir, 0o700);
    const temp = join(this.dir, `.config.json.${randomBytes(6).toString("hex")}`);
    const handle = await open(temp, "wx", 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(all, null, 2)}\n`);
      await handle.sync();
    } catch (err) {
      await handle.close();
      await rm(temp, { force: true });
      throw err;
    }
    await handle.close();
    await rename(temp, this.file);
  }
}
