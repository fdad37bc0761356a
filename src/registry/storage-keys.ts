// Where the registry keeps its bytes in a storage driver: blobs once, content-addressed, and the
// uploads that become them. The filesystem's layout since the first release, kept so that
// existing data directories go on working.
import { parseDigest } from "../content/digest.js";
import { assertUploadId } from "../storage/upload-id.js";

/** `blobs/<alg>/<first two hex>/<hex>` */
export function blobKey(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `blobs/${algorithm}/${hex.slice(0, 2)}/${hex}`;
}

/** `uploads/<id>` */
export function uploadKey(id: string): string {
  assertUploadId(id);
  return `uploads/${id}`;
}
