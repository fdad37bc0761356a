import { MemoryBlobStore } from "../../src/storage/drivers/memory.js";
import { blobStoreSuite } from "./driver-suite.js";

blobStoreSuite("memory", async () => new MemoryBlobStore());
