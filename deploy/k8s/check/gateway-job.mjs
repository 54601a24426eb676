// One prompt through a gateway's ComfyUI API, as a ComfyUI client sends it: POST /prompt, poll
// /history/<id> until the entry says completed, download every output image with /view. Used by the
// local kube check to answer a job through the gateway pod (docs/gateway-api.md).
// Usage: node gateway-job.mjs --url http://127.0.0.1:PORT --workflow FILE --out DIR [--timeout S]
// Exit 0 with the images in --out; 1 with the reason (the history entry's messages when it failed).
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join, basename } from "node:path";
import { randomUUID } from "node:crypto";

function argument(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  if (index >= 0 && process.argv[index + 1] !== undefined) return process.argv[index + 1];
  if (fallback !== undefined) return fallback;
  console.error(`gateway-job: --${name} is required`);
  process.exit(2);
}

const url = argument("url").replace(/\/$/, "");
const workflow = JSON.parse(readFileSync(argument("workflow"), "utf8"));
const out = argument("out");
const deadline = Date.now() + Number(argument("timeout", "180")) * 1000;
mkdirSync(out, { recursive: true });

async function json(response) {
  const text = await response.text();
  if (!response.ok) throw new Error(`${response.url}: HTTP ${response.status}: ${text}`);
  return JSON.parse(text);
}

const started = Date.now();
const promptId = randomUUID();
const accepted = await json(await fetch(`${url}/prompt`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ prompt: workflow, client_id: "kube-check", prompt_id: promptId }),
}));
if (accepted.prompt_id !== promptId) throw new Error(`the gateway answered prompt ${accepted.prompt_id}, not ${promptId}`);

let entry;
while (Date.now() < deadline) {
  entry = (await json(await fetch(`${url}/history/${promptId}`)))[promptId];
  if (entry?.status?.completed === true) break;
  if (entry?.status?.status_str === "error") {
    console.error(`gateway-job: prompt ${promptId} failed: ${JSON.stringify(entry.status.messages)}`);
    process.exit(1);
  }
  await new Promise(resolve => setTimeout(resolve, 250));
}
if (entry?.status?.completed !== true) {
  console.error(`gateway-job: prompt ${promptId} not completed in time (last entry: ${JSON.stringify(entry?.status ?? null)})`);
  process.exit(1);
}

const images = Object.values(entry.outputs ?? {}).flatMap(output => output.images ?? []);
for (const image of images) {
  const query = new URLSearchParams({ filename: image.filename, subfolder: image.subfolder ?? "", type: image.type ?? "output" });
  const response = await fetch(`${url}/view?${query}`);
  if (!response.ok) throw new Error(`/view ${image.filename}: HTTP ${response.status}`);
  writeFileSync(join(out, basename(image.filename)), Buffer.from(await response.arrayBuffer()));
}
if (images.length === 0) {
  console.error(`gateway-job: prompt ${promptId} completed without images`);
  process.exit(1);
}
console.log(`gateway-job: prompt ${promptId} answered with ${images.length} image(s) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
