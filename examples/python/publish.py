#!/usr/bin/python3
"""Submits a ComfyUI API workflow to ComfySnap's worker queue as plain JSON (no MassTransit) and
prints the worker's answer, WorkflowCompleted or WorkflowFailed, as one JSON line.

Wire format: src/Worker/Bus/README.md. Needs pika (Debian: python3-pika).
Exit code: 0 completed, 1 failed, 2 no answer before --timeout.
"""
import argparse
import base64
import json
import os
import sys
import time
import uuid
from urllib.parse import quote

import pika

ANSWERS = ("WorkflowCompleted", "WorkflowFailed")
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def default_amqp():
    """COMFYSNAP_AMQP (or COMFYSNAP_AMQP_FILE, a mounted secret), else `./comfysnap services` with its generated credentials."""
    env = os.environ
    if env.get("COMFYSNAP_AMQP"):
        return env["COMFYSNAP_AMQP"]
    if env.get("COMFYSNAP_AMQP_FILE"):
        with open(env["COMFYSNAP_AMQP_FILE"], encoding="utf-8") as f:
            return f.read().strip()
    user = quote(env.get("COMFYSNAP_RABBITMQ_USER", "guest"), safe="")
    password = quote(env.get("COMFYSNAP_RABBITMQ_PASSWORD", "guest"), safe="")
    return f"amqp://{user}:{password}@127.0.0.1:{env.get('COMFYSNAP_RABBITMQ_PORT', '5682')}/"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--amqp", default=default_amqp(), help="amqp[s]://user:password@host:port/ (prefer COMFYSNAP_AMQP: a command line is visible to other users)")
    p.add_argument("--queue", default="comfysnap-run-workflow", help="the workers' Bus:QueueName")
    p.add_argument("--workflow", default=os.path.join(REPO, "workflows", "image-ops.json"))
    p.add_argument("--job-id", default=f"py-{uuid.uuid4().hex}")
    p.add_argument("--cache-policy", type=int, default=0, help="0 Use, 1 Refresh, 2 Bypass")
    p.add_argument("--save", metavar="DIR", help="write inline output bytes into DIR")
    p.add_argument("--timeout", type=float, default=60)
    return p.parse_args()


def main():
    args = parse_args()
    with open(args.workflow, encoding="utf-8") as f:
        workflow = f.read()

    connection = pika.BlockingConnection(pika.URLParameters(args.amqp))
    channel = connection.channel()
    # Our own exclusive queue, bound before publishing so that the answer cannot be missed.
    events = channel.queue_declare(queue="", exclusive=True, auto_delete=True).method.queue
    for name in ANSWERS:
        exchange = f"ComfySnap.Contracts:{name}"
        channel.exchange_declare(exchange, exchange_type="fanout", durable=True)
        channel.queue_bind(events, exchange, routing_key="")

    job = {"jobId": args.job_id, "workflow": workflow, "cachePolicy": args.cache_policy}
    # Confirms + mandatory: an exchange without a worker's queue bound raises UnroutableError
    # instead of silently dropping the job.
    channel.confirm_delivery()
    channel.basic_publish(
        exchange=args.queue,
        routing_key="",
        body=json.dumps(job).encode("utf-8"),
        properties=pika.BasicProperties(content_type="application/json", delivery_mode=2),
        mandatory=True,
    )

    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        method, _, body = channel.basic_get(events, auto_ack=True)
        if method is None:
            connection.sleep(0.05)
            continue
        envelope = json.loads(body)
        message = envelope["message"]
        if message.get("jobId") != args.job_id:
            continue  # another publisher's job
        kind = envelope["messageType"][0].rsplit(":", 1)[-1]
        print(json.dumps(summarize(kind, message, args.save)), flush=True)
        connection.close()
        return 0 if kind == "WorkflowCompleted" else 1

    print(json.dumps({"type": "Timeout", "jobId": args.job_id}), flush=True)
    connection.close()
    return 2


def summarize(kind, message, save_dir):
    """The answer without the (possibly large) base64 bytes; writes them to save_dir if asked."""
    for output in message.get("outputs") or []:
        data = output.pop("inlineBytes", None)
        if data and save_dir:
            os.makedirs(save_dir, exist_ok=True)
            path = os.path.join(save_dir, os.path.basename(output["fileName"]))
            with open(path, "wb") as f:
                f.write(base64.b64decode(data))
            output["savedTo"] = path
    return {"type": kind, **message}


if __name__ == "__main__":
    sys.exit(main())
