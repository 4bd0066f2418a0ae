# Sourced by the scripts that install Python tools. `ensure_venv <folder> <requirements>
# <tool>` (re)creates the venv <folder> from <requirements> when <folder>/bin/<tool> is
# missing or the requirements changed since it was made (a sha256 stamp inside the venv).

ensure_venv() {
  local venv=$1 requirements=$2 tool=$3 want
  want=$(sha256sum "$requirements" | cut -d' ' -f1)
  if [ ! -x "$venv/bin/$tool" ] || [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
    echo "setup: python venv ($venv) from $requirements"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements"
    echo "$want" >"$venv/.requirements.sha256"
  fi
}
