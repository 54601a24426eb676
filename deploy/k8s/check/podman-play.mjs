// Turns the real manifests in deploy/k8s into what `podman kube play` 4.3 (Debian 12) runs, for
// the local kube check (`./comfysnap test --containers`). The manifests stay the Kubernetes ones;
// this writes generated copies with only the changes podman 4.3 forces, each for a measured reason:
//   - Job: podman 4.3 plays Pod, Deployment, PersistentVolumeClaim, ConfigMap and Secret only, so
//     the Job's pod template becomes one Pod (restartPolicy Never; the check waits for its exit;
//     backoffLimit is not emulated).
//   - Deployment: every containerPort is published on the host at the same port number, so two
//     replicas clash; each replica becomes its own Pod "<name>-<i>" whose ports are published on
//     127.0.0.1 at distinct host ports (written to ports.tsv).
//   - Probes: podman turns a liveness httpGet into `curl -f` inside the image (the .NET images have
//     no curl) run by systemd timers (none in this VM), and ignores readiness and startup probes:
//     they are left out and the check polls the same paths through the published ports.
//   - securityContext.seccompProfile is ignored by podman 4.3; it reads the (pre-1.19 Kubernetes)
//     container.seccomp.security.alpha.kubernetes.io/<container> annotation, written here.
//   - Secret: podman 4.3 stores a played Secret as YAML but reads secretKeyRef/envFrom as a JSON
//     map of base64 values ("secret comfysnap-runtime is not valid JSON: invalid character 'a'"),
//     so the Secret's keys (checked equal to secret.yaml's) are written as that JSON for
//     `podman secret create`, with this run's values.
//   - Service, TriggerAuthentication, ScaledObject: not played (podman has no Services or KEDA);
//     they stay schema-checked by validate.mjs.
// Usage: node podman-play.mjs --manifests DIR --out DIR --secret-env FILE [--replicas NAME=N]...
//        [--port-base N]
// Output in --out: storage.yaml, snapshot-job.yaml, worker.yaml, gateway.yaml, secret.json (mode
// 600), secret-name (its name for `podman secret create`), ports.tsv ("pod<TAB>port name<TAB>container port<TAB>host port" per published port).
import { readFileSync, writeFileSync, mkdirSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";

const SECCOMP_ANNOTATION = "container.seccomp.security.alpha.kubernetes.io/";
const SECCOMP_VALUES = { Unconfined: "unconfined", RuntimeDefault: "runtime/default" };

function parseArguments(argv) {
  const options = { replicas: new Map(), portBase: 18000 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) fail(`${flag} needs a value`);
    switch (flag) {
      case "--manifests": options.manifests = value; break;
      case "--out": options.out = value; break;
      case "--secret-env": options.secretEnv = value; break;
      case "--port-base": options.portBase = Number.parseInt(value, 10); break;
      case "--replicas": {
        const [name, count] = value.split("=");
        options.replicas.set(name, Number.parseInt(count, 10));
        break;
      }
      default: fail(`unknown option ${flag}`);
    }
  }
  for (const required of ["manifests", "out", "secretEnv"]) {
    if (!options[required]) fail(`--${required.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`)} is required`);
  }
  return options;
}

function fail(message) {
  console.error(`podman-play: ${message}`);
  process.exit(2);
}

function readDocuments(file) {
  return parseAllDocuments(readFileSync(file, "utf8"))
    .map(doc => {
      if (doc.errors.length > 0) fail(`${file}: ${doc.errors.map(e => e.message).join("; ")}`);
      return doc.toJS();
    })
    .filter(object => object !== null);
}

// The pod spec as podman 4.3 plays it: probes out, seccompProfile moved into annotations, and
// each containerPort published on loopback at the next free host port of this run.
function podFor(name, template, labels, ports) {
  const spec = structuredClone(template.spec);
  const annotations = { ...(template.metadata?.annotations ?? {}) };
  for (const container of spec.containers) {
    delete container.livenessProbe;
    delete container.readinessProbe;
    delete container.startupProbe;
    const profile = container.securityContext?.seccompProfile?.type ?? spec.securityContext?.seccompProfile?.type;
    if (profile !== undefined) {
      const value = SECCOMP_VALUES[profile];
      if (value === undefined) fail(`${name}/${container.name}: seccompProfile ${profile} has no podman annotation`);
      annotations[SECCOMP_ANNOTATION + container.name] = value;
      delete container.securityContext.seccompProfile;
    }
    for (const port of container.ports ?? []) {
      port.hostIP = "127.0.0.1";
      port.hostPort = ports.next(name, port);
    }
  }
  delete spec.securityContext?.seccompProfile;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: { ...labels, ...(template.metadata?.labels ?? {}) }, annotations },
    spec,
  };
}

function portAllocator(base) {
  let nextPort = base;
  const rows = [];
  return {
    next(pod, port) {
      const hostPort = nextPort++;
      rows.push([pod, port.name ?? "", port.containerPort, hostPort].join("\t"));
      return hostPort;
    },
    rows,
  };
}

// Pods for the Deployments and Jobs of one manifest file; other kinds pass through or drop out.
function translate(object, options, ports) {
  switch (object.kind) {
    case "PersistentVolumeClaim":
      return [object];
    case "Job":
      return [podFor(object.metadata.name, object.spec.template, object.metadata.labels, ports)];
    case "Deployment": {
      const replicas = options.replicas.get(object.metadata.name) ?? object.spec.replicas ?? 1;
      return Array.from({ length: replicas }, (_, i) =>
        podFor(`${object.metadata.name}-${i}`, object.spec.template, object.metadata.labels, ports));
    }
    case "Service":
    case "Secret":
    case "TriggerAuthentication":
    case "ScaledObject":
      return [];
    default:
      return fail(`${object.kind} ${object.metadata?.name}: no podman translation`);
  }
}

function readEnvFile(file) {
  const values = new Map();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const equals = line.indexOf("=");
    if (equals < 1) fail(`${file}: a line without KEY=VALUE`);
    values.set(line.slice(0, equals), line.slice(equals + 1));
  }
  return values;
}

// The Secret's own keys, this run's values; a key missing or extra fails, so the pods get exactly
// what secret.yaml promises.
function secretJson(secretDocument, values) {
  const keys = Object.keys({ ...(secretDocument.data ?? {}), ...(secretDocument.stringData ?? {}) }).sort();
  const missing = keys.filter(key => !values.has(key));
  const extra = [...values.keys()].filter(key => !keys.includes(key));
  if (missing.length > 0 || extra.length > 0) {
    fail(`secret values do not match secret.yaml's keys (missing: ${missing.join(", ") || "none"}; extra: ${extra.join(", ") || "none"})`);
  }
  return JSON.stringify(Object.fromEntries(keys.map(key => [key, Buffer.from(values.get(key), "utf8").toString("base64")])));
}

const options = parseArguments(process.argv.slice(2));
mkdirSync(options.out, { recursive: true });
const ports = portAllocator(options.portBase);
for (const file of ["storage.yaml", "snapshot-job.yaml", "worker.yaml", "gateway.yaml"]) {
  const objects = readDocuments(join(options.manifests, file)).flatMap(object => translate(object, options, ports));
  writeFileSync(join(options.out, file), objects.map(object => stringify(object)).join("---\n"));
}
const [secret] = readDocuments(join(options.manifests, "secret.yaml")).filter(object => object.kind === "Secret");
if (!secret) fail("secret.yaml has no Secret");
const secretFile = join(options.out, "secret.json");
writeFileSync(secretFile, secretJson(secret, readEnvFile(options.secretEnv)), { mode: 0o600 });
chmodSync(secretFile, 0o600);
writeFileSync(join(options.out, "secret-name"), `${secret.metadata.name}\n`);
writeFileSync(join(options.out, "ports.tsv"), ports.rows.map(row => `${row}\n`).join(""));
console.log(`podman-play: ${secret.metadata.name} secret and pods for podman 4.3 in ${options.out}`);
