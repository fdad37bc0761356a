// What the repository pages read besides the API's base types: fields the list answers carry once
// the server has them (older servers leave them out), and one image's details.
import type { Image, Tag } from "../../api/types";

export type TagRow = Tag & Partial<{ size: number; pushedAt: string | null }>;
export type ImageRow = Image & Partial<{ pushedBy: string | null; platforms: { os: string; architecture: string; variant?: string }[] }>;

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** `GET /repositories/{name}/images/{digest}`. */
export interface ImageDetail {
  digest: string;
  mediaType: string;
  artifactType: string | null;
  size: number;
  tags: string[];
  pushedAt: string;
  pushedBy: string | null;
  lastPulledAt: string | null;
  pullCount: number;
  layers?: { digest: string; mediaType: string; size: number }[];
  config?: {
    digest: string;
    mediaType: string;
    size: number;
    os?: string;
    architecture?: string;
    variant?: string;
    created?: string;
    entrypoint?: string[] | null;
    cmd?: string[] | null;
    labels?: Record<string, string> | null;
  } | null;
  manifests?: { digest: string; mediaType: string; size: number; platform?: Platform | null }[];
  subject?: string | null;
  referrers?: { digest: string; artifactType: string | null; mediaType: string; size: number; pushedAt: string }[];
}
