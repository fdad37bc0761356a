// How a repository's name travels: as one encoded segment in API paths (`acme%2Fweb`), with its
// slashes kept in console URLs (`/repositories/acme/web`), whose router decodes `:name*`.

/** `/repositories/acme%2Fweb`, the API path of a repository. */
export function repositoryApi(name: string): string {
  return `/repositories/${encodeURIComponent(name)}`;
}

/** `/repositories/acme/web`, the console page of a repository. */
export function repositoryPage(name: string): string {
  return `/repositories/${name.split("/").map(encodeURIComponent).join("/")}`;
}

/** The tenancy a repository belongs to: its first path component. */
export function namespaceOf(name: string): string {
  const slash = name.indexOf("/");
  return slash < 0 ? name : name.slice(0, slash);
}
