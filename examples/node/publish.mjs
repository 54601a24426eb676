#!/usr/bin/env node
// Submits a ComfyUI API workflow to ComfySnap's worker queue as plain JSON (no MassTransit) and
// prints the worker's answer, WorkflowCompleted or WorkflowFailed, as one JSON line.
// Wire format: src/Worker/Bus/README.md. Exit code: 0 completed, 1 failed, 2 no answer in time.
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import amqplib from "amqplib";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

// The broker: COMFYSNAP_AMQP (or COMFYSNAP_AMQP_FILE, a mounted secret), else `./comfysnap services`
// on this machine with the credentials it generated (COMFYSNAP_RABBITMQ_USER / _PASSWORD).
function defaultAmqp() {
  const env = process.env;
  if (env.COMFYSNAP_AMQP) return env.COMFYSNAP_AMQP;
  if (env.COMFYSNAP_AMQP_FILE) return readFileSync(env.COMFYSNAP_AMQP_FILE, "utf8").trim();
  const user = encodeURIComponent(env.COMFYSNAP_RABBITMQ_USER ?? "guest");
  const password = encodeURIComponent(env.COMFYSNAP_RABBITMQ_PASSWORD ?? "guest");
  return `amqp://${user}:${password}@127.0.0.1:${env.COMFYSNAP_RABBITMQ_PORT ?? "5682"}/`;
}
const { values: args } = parseArgs({
  options: {
    amqp: { type: "string", default: defaultAmqp() }, // a command line is visible to other users: prefer the environment
    queue: { type: "string", default: "comfysnap-run-workflow" }, // the workers' Bus:QueueName
    workflow: { type: "string", default: path.join(repo, "workflows/image-ops.json") },
    "job-id": { type: "string", default: `node-${randomUUID()}` },
    "cache-policy": { type: "string", default: "0" }, // 0 Use, 1 Refresh, 2 Bypass
    save: { type: "string" }, // write inline output bytes into this folder
    timeout: { type: "string", default: "60" },
  },
});
const jobId = args["job-id"];

const connection = await amqplib.connect(args.amqp);
const channel = await connection.createConfirmChannel();

// Our own exclusive queue, bound before publishing so that the answer cannot be missed.
const { queue: events } = await channel.assertQueue("", { exclusive: true, autoDelete: true });
for (const name of ["WorkflowCompleted", "WorkflowFailed"]) {
  const exchange = `ComfySnap.Contracts:${name}`;
  await channel.assertExchange(exchange, "fanout", { durable: true });
  await channel.bindQueue(events, exchange, "");
}

const answer = new Promise((resolve) => {
  channel.consume(events, (delivery) => {
    const envelope = JSON.parse(delivery.content.toString("utf8"));
    if (envelope.message?.jobId === jobId) {
      resolve({ type: envelope.messageType[0].split(":").pop(), ...envelope.message });
    }
  }, { noAck: true });
});

// mandatory: an exchange without a worker's queue bound returns the job instead of dropping it.
let returned = false;
channel.on("return", () => { returned = true; });
const job = { jobId, workflow: readFileSync(args.workflow, "utf8"), cachePolicy: Number(args["cache-policy"]) };
channel.publish(args.queue, "", Buffer.from(JSON.stringify(job)), { contentType: "application/json", persistent: true, mandatory: true });
await channel.waitForConfirms();
if (returned) {
  console.error(`no queue is bound to the exchange ${args.queue}: start a worker first`);
  await connection.close();
  process.exit(2);
}

const timeout = new Promise((resolve) => setTimeout(() => resolve({ type: "Timeout", jobId }), Number(args.timeout) * 1000).unref());
const result = await Promise.race([answer, timeout]);
for (const output of result.outputs ?? []) {
  // Print the answer without the (possibly large) base64 bytes; save them if asked.
  const bytes = output.inlineBytes;
  delete output.inlineBytes;
  if (bytes && args.save) {
    mkdirSync(args.save, { recursive: true });
    output.savedTo = path.join(args.save, path.basename(output.fileName));
    writeFileSync(output.savedTo, Buffer.from(bytes, "base64"));
  }
}

console.log(JSON.stringify(result));
await connection.close();
process.exit(result.type === "WorkflowCompleted" ? 0 : result.type === "WorkflowFailed" ? 1 : 2);
