// Repository name and tag grammar from the OCI distribution spec. Everything that becomes a path
// or a key passes through here first, which is what keeps `..` and friends out of storage.

/** path components joined by `/`, each lowercase alphanumerics separated by `.`, `_`, `__` or `-`+ */
const NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

/** Distribution limits the whole name to 255 characters; so do we. */
export const MAX_NAME_LENGTH = 255;

export function isValidRepositoryName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_NAME_LENGTH && NAME.test(name);
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}
