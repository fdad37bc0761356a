// Shapes the repository pages name that the API's types hold inside others.
import type { Image } from "../../api/types";

export type Platform = NonNullable<Image["platforms"]>[number];
