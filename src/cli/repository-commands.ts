// `berth repo …` and `berth image …`: repositories, their tags and images, as admin API requests.
// Registered by spreading into the command table of commands.ts.
import { defined, filterOpt, filterQuery, r, repoOpt, seg, t, type CommandSpec } from "./command-spec.js";
import { CliError, EXIT } from "./exit-codes.js";

const REPO = ["name", "isPublic", "immutableTags", "tags", "manifests", "size", "pulls", "lastPushedAt", "createdAt"];

export const REPOSITORY_COMMANDS: CommandSpec[] = [
  // repositories
  {
    path: ["repo", "create"],
    summary: "create a repository (a push creates one too, when the policy allows)",
    examples: ["berth repo create --name ourtenant/oxar", "berth repo create --name ourtenant/base --public"],
    options: [repoOpt(), { flags: "--public", description: "anyone may pull it without logging in" }],
    call: (o) => ({ method: "POST", path: "/repositories", body: { name: o.name, isPublic: Boolean(o.public) } }),
  },
  {
    path: ["repo", "list"],
    summary: "list repositories: a tenancy's, or all you may see without --tenancy (operators: every tenancy's)",
    examples: ["berth repo list --tenancy ourtenant", "berth repo list"],
    options: [{ flags: "--tenancy <ns>", description: "the tenancy (default: every repository you may see)" }, filterOpt],
    list: true,
    columns: REPO,
    call: (o) => ({ method: "GET", path: o.tenancy ? `${t(o.tenancy)}/repositories` : "/repositories", query: filterQuery(o) }),
  },
  {
    path: ["repo", "get"],
    summary: "show one repository",
    examples: ["berth repo get --name ourtenant/oxar"],
    options: [repoOpt()],
    call: (o) => ({ method: "GET", path: r(o.name) }),
  },
  {
    path: ["repo", "update"],
    summary: "make a repository public or private, or its tags immutable or mutable",
    examples: ["berth repo update --name ourtenant/oxar --public", "berth repo update --name ourtenant/oxar --immutable-tags"],
    options: [
      repoOpt(),
      { flags: "--public", description: "make it public" },
      { flags: "--private", description: "make it private" },
      { flags: "--immutable-tags", description: "a pushed tag never moves nor is deleted" },
      { flags: "--mutable-tags", description: "tags may move and be deleted again" },
    ],
    call: (o) => {
      if (o.public && o.private) throw new CliError("give one of --public or --private, not both", EXIT.invalid);
      if (o.immutableTags && o.mutableTags) throw new CliError("give one of --immutable-tags or --mutable-tags, not both", EXIT.invalid);
      const isPublic = o.public ? true : o.private ? false : undefined;
      const immutableTags = o.immutableTags ? true : o.mutableTags ? false : undefined;
      if (isPublic === undefined && immutableTags === undefined) {
        throw new CliError("give --public or --private, and/or --immutable-tags or --mutable-tags", EXIT.invalid);
      }
      return { method: "PATCH", path: r(o.name), body: defined({ isPublic, immutableTags }) };
    },
  },
  {
    path: ["repo", "delete"],
    summary: "delete a repository with its tags and images",
    examples: ["berth repo delete --name ourtenant/oxar"],
    options: [repoOpt()],
    call: (o) => ({ method: "DELETE", path: r(o.name) }),
    done: (o) => `deleted repository ${o.name}`,
  },
  {
    path: ["repo", "tags"],
    summary: "list a repository's tags with the size and push time of each",
    examples: ["berth repo tags --name ourtenant/oxar", "berth repo tags --name ourtenant/oxar --filter rc"],
    options: [repoOpt(), filterOpt],
    list: true,
    columns: ["name", "digest", "size", "pushedAt"],
    call: (o) => ({ method: "GET", path: `${r(o.name)}/tags`, query: filterQuery(o) }),
  },
  {
    path: ["repo", "delete-tag"],
    summary: "delete a tag (the image it pointed to stays, by digest)",
    examples: ["berth repo delete-tag --name ourtenant/oxar --tag 0.0.1"],
    options: [repoOpt(), { flags: "--tag <tag>", description: "the tag", required: true }],
    call: (o) => ({ method: "DELETE", path: `${r(o.name)}/tags/${seg(o.tag)}` }),
    done: (o) => `deleted tag ${o.name}:${o.tag}`,
  },

  // images
  {
    path: ["image", "list"],
    summary: "list a repository's images (manifests) with their tags, sizes and who pushed them",
    examples: ["berth image list --repo ourtenant/oxar"],
    options: [repoOpt("--repo")],
    list: true,
    columns: ["digest", "tags", "mediaType", "size", "pushedAt", "pushedBy", "lastPulledAt", "pullCount"],
    call: (o) => ({ method: "GET", path: `${r(o.repo)}/images` }),
  },
  {
    path: ["image", "show"],
    summary: "show one image: size, tags, who pushed it, pulls, layers and config (an image) or platforms (an index), referrers",
    examples: ["berth image show --repo ourtenant/oxar --digest sha256:4f29…", "berth image show --repo ourtenant/oxar --digest sha256:4f29… --output json"],
    options: [repoOpt("--repo"), { flags: "--digest <digest>", description: "the image's digest, sha256:…", required: true }],
    call: (o) => ({ method: "GET", path: `${r(o.repo)}/images/${seg(o.digest)}` }),
  },
  {
    path: ["image", "delete"],
    summary: "delete an image by digest, with every tag pointing to it",
    examples: ["berth image delete --repo ourtenant/oxar --digest sha256:4f29…"],
    options: [repoOpt("--repo"), { flags: "--digest <digest>", description: "the image's digest, sha256:…", required: true }],
    call: (o) => ({ method: "DELETE", path: `${r(o.repo)}/images/${seg(o.digest)}` }),
    done: (o) => `deleted image ${o.repo}@${o.digest}`,
  },
];
