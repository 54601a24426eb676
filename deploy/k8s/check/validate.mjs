// Validates Kubernetes manifests (every YAML document of every file given) against the JSON
// schemas of the Kubernetes API and of KEDA's CRDs, as compiled by the kubernetes-models packages.
// An apiVersion/kind without a model is an error too, so a typo there cannot pass unchecked.
// Usage: node validate.mjs FILE...   Exit 0: all valid; 1: the errors are printed per document.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parseAllDocuments } from "yaml";

const require = createRequire(import.meta.url);

// apps/v1 -> kubernetes-models/apps/v1/Kind; v1 (core) -> kubernetes-models/v1/Kind;
// keda.sh/* -> @kubernetes-models/keda/keda.sh/*/Kind.
function modelFor(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string" || !/^[A-Za-z0-9]+$/.test(kind)) return undefined;
  const pkg = apiVersion.startsWith("keda.sh/") ? "@kubernetes-models/keda" : "kubernetes-models";
  try {
    return require(`${pkg}/${apiVersion}/${kind}`)[kind];
  } catch {
    return undefined;
  }
}

let failures = 0, checked = 0;
for (const file of process.argv.slice(2)) {
  const docs = parseAllDocuments(readFileSync(file, "utf8"), { prettyErrors: true });
  for (const [index, doc] of docs.entries()) {
    const where = `${file}#${index + 1}`;
    if (doc.errors.length > 0) {
      failures++; console.log(`${where}: YAML: ${doc.errors.map(e => e.message).join("; ")}`); continue;
    }
    const object = doc.toJS();
    if (object === null) continue; // an empty document
    const Model = modelFor(object.apiVersion, object.kind);
    if (!Model) {
      failures++; console.log(`${where}: no schema for apiVersion "${object.apiVersion}" kind "${object.kind}"`); continue;
    }
    try {
      new Model(object).validate();
      checked++;
      console.log(`${where}: ${object.apiVersion} ${object.kind} ${object.metadata?.name ?? ""}: valid`);
    } catch (error) {
      failures++;
      console.log(`${where}: ${object.apiVersion} ${object.kind} ${object.metadata?.name ?? ""}: ${error.message}`);
    }
  }
}
console.log(`${checked} valid, ${failures} invalid`);
process.exit(failures === 0 && checked > 0 ? 0 : 1);
