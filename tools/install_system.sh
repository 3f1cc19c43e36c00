#!/usr/bin/env bash
# System packages the pipeline needs (Debian): R with ggplot2 for the R figures (and rpy2's build); chromium and its
# driver for the report's browser test; slurm-wlm and munge for the one-node SLURM cluster of the cluster tests.
# As root they are installed; otherwise a missing package is named with the command that installs it.
set -euo pipefail
packages=(r-base-core r-cran-ggplot2 r-cran-data.table r-cran-svglite chromium chromium-driver slurm-wlm munge)
# Debian's own python3 has no venv module without python3-venv.
python3 -m venv --help >/dev/null 2>&1 || packages+=(python3-venv)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "error: missing system packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
