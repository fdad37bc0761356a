/** A repository's public/private badge. */
export function Visibility({ isPublic }: { isPublic: boolean }) {
  return <span className={isPublic ? "repo-badge repo-badge-public" : "repo-badge"}>{isPublic ? "Public" : "Private"}</span>;
}
