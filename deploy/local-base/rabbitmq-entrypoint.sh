#!/bin/sh
# Writes the default user from the environment into a run-time config file (never into the
# image), then runs the broker in the foreground as PID 1's child.
set -eu
conf=/var/lib/rabbitmq/comfysnap.conf
umask 077
{
  echo "loopback_users = none"
  [ -n "${RABBITMQ_DEFAULT_USER:-}" ] && echo "default_user = $RABBITMQ_DEFAULT_USER"
  [ -n "${RABBITMQ_DEFAULT_PASS:-}" ] && echo "default_pass = $RABBITMQ_DEFAULT_PASS"
  true
} > "$conf"
unset RABBITMQ_DEFAULT_USER RABBITMQ_DEFAULT_PASS
export RABBITMQ_CONFIG_FILE="$conf"
exec rabbitmq-server
