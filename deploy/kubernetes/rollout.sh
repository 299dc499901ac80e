#!/usr/bin/env bash
# Apply deploy/kubernetes in order: platform and configuration, then each service's migration
# Job run to completion, then the services. Usage: deploy/kubernetes/rollout.sh [kubectl args...]
# e.g. deploy/kubernetes/rollout.sh --context production
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
kubectl() { command kubectl "$@" "${KUBECTL_ARGS[@]}"; }
KUBECTL_ARGS=("$@")
ns=construisons
rendered="$(command kubectl kustomize "$here")"

if grep -q 'change-me' <<<"$rendered" && [[ "${ALLOW_PLACEHOLDER_SECRETS:-}" != 1 ]]; then
  echo "secrets.yaml still holds change-me placeholders: set real values first" >&2
  exit 1
fi

echo "1/4 namespace, RabbitMQ, PostgreSQL, configuration and secrets"
kubectl apply -f - -l 'app.kubernetes.io/component!=server,app.kubernetes.io/component!=migration' <<<"$rendered"
kubectl -n "$ns" wait --for=condition=Ready cluster.postgresql.cnpg.io/construisons-postgres --timeout=15m
kubectl -n "$ns" wait --for=condition=AllReplicasReady rabbitmqcluster/construisons-rabbitmq --timeout=15m
kubectl -n "$ns" wait --for=jsonpath='{.status.applied}'=true database.postgresql.cnpg.io \
  -l app.kubernetes.io/part-of=construisons --timeout=5m

echo "2/4 migrations"
# A Job's pod template cannot change: the previous release's Jobs go before the new ones.
kubectl -n "$ns" delete job -l app.kubernetes.io/component=migration --ignore-not-found --wait=true
kubectl apply -f - -l app.kubernetes.io/component=migration <<<"$rendered"
kubectl -n "$ns" wait --for=condition=Complete job -l app.kubernetes.io/component=migration --timeout=15m

echo "3/4 services"
kubectl apply -f - -l app.kubernetes.io/component=server <<<"$rendered"

echo "4/4 waiting for the rollouts"
for s in intake review incubation notifications; do
  kubectl -n "$ns" rollout status "deployment/$s" --timeout=10m
done
