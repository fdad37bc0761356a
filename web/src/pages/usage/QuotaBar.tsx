// How much of the tenancy's storage quota is used, as a bar and as words.
import { formatBytes } from "../../format";

export function QuotaBar({ used, quota }: { used: number; quota: number }) {
  const share = quota === 0 ? 1 : Math.min(1, used / quota);
  const percent = Math.round((quota === 0 ? 1 : used / quota) * 100);
  const words = `${formatBytes(used)} of ${formatBytes(quota)} used (${percent}%)`;
  return (
    <div className="usage-quota">
      <svg className={`usage-chart usage-quota-bar${share >= 0.9 ? " usage-quota-high" : ""}`} viewBox="0 0 800 16" width="100%" height="16" role="img" aria-label={`Storage quota: ${words}`} preserveAspectRatio="none">
        <rect className="usage-quota-track" x="0" y="0" width="800" height="16" rx="4" />
        <rect className="usage-quota-used" x="0" y="0" width={share * 800} height="16" rx="4" />
      </svg>
      <p>{words}</p>
    </div>
  );
}
