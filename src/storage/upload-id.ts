// Upload ids come back from the wire in URLs; drivers accept only this shape, so an id can never
// name a path or key outside the uploads area.
const UPLOAD_ID = /^[A-Za-z0-9-]{1,64}$/;

export function isUploadId(id: string): boolean {
  return UPLOAD_ID.test(id);
}

export function assertUploadId(id: string): void {
  if (!UPLOAD_ID.test(id)) throw new Error(`invalid upload id "${id.slice(0, 70)}"`);
}
