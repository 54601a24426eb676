#!/usr/bin/env node
// Drives ComfySnap's gateway with a ComfyUI client library published by others
// (@stable-canvas/comfyui-client), exactly as it would drive ComfyUI: queue the prompt, wait for
// it over the WebSocket, download the images through /view. Prints one JSON line.
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { Client } from "@stable-canvas/comfyui-client";
import WebSocket from "ws";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const { values: args } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1:8188" }, // the gateway (or a ComfyUI server)
    workflow: { type: "string", default: path.join(repo, "workflows/image-ops.json") },
    save: { type: "string" }, // write the downloaded images into this folder
    timeout: { type: "string", default: "60" },
  },
});

// Node 20 has fetch but no global WebSocket: the library takes the `ws` package instead.
const client = new Client({ api_host: args.host, clientId: randomUUID(), WebSocket, fetch });
await client.connect();
const stats = await client.getSystemStats();
const prompt = JSON.parse(readFileSync(args.workflow, "utf8"));
let progressEvents = 0;
const output = await client.enqueue(prompt, {
  timeout_ms: Number(args.timeout) * 1000,
  progress: () => { progressEvents++; },
});

// The default resolver lists /view URLs of the output images; fetch them as a client would.
const images = [];
for (const image of output.images) {
  const response = await client.fetch(image.data);
  const bytes = Buffer.from(await response.arrayBuffer());
  const file = new URL(image.data).searchParams.get("filename");
  const saved = args.save ? path.join(args.save, path.basename(file)) : null;
  if (saved) {
    mkdirSync(args.save, { recursive: true });
    writeFileSync(saved, bytes);
  }
  images.push({ url: image.data, status: response.status, contentType: response.headers.get("content-type"), size: bytes.length, savedTo: saved });
}

// The library's own reading of /queue and /history (prompt[1] is the prompt_id there).
const status = await client.getPromptStatus(output.prompt_id);
const historyOutputs = await client.getPromptOutputs(output.prompt_id);
console.log(JSON.stringify({
  promptId: output.prompt_id,
  comfyuiVersion: stats.system?.comfyui_version ?? null,
  progressEvents,
  images,
  done: status.done,
  historyOutputs,
}));
client.close();
process.exit(0);
