#!/usr/bin/env bash
# Prints the home of a JDK >= 25 (edgeopt needs JDK 25's Vector API), or explains what to install.
# Order: $EDGEOPT_JAVA_HOME, $JAVA_HOME, the JDK of `java` on PATH, then /usr/lib/jvm/*.
set -u
version_of() {
  local v
  v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n1)
  echo "${v%%.*}"
}
candidates=()
[ -n "${EDGEOPT_JAVA_HOME:-}" ] && candidates+=("$EDGEOPT_JAVA_HOME")
[ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
if command -v java >/dev/null 2>&1; then
  candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
fi
for d in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do candidates+=("$d"); done
for d in "${candidates[@]}"; do
  [ -x "$d/bin/java" ] && [ -x "$d/bin/javac" ] || continue
  v=$(version_of "$d")
  if [ -n "$v" ] && [ "$v" -ge 25 ] 2>/dev/null; then echo "$d"; exit 0; fi
done
cat >&2 <<'MSG'
edgeopt: no JDK 25 or newer found (checked $EDGEOPT_JAVA_HOME, $JAVA_HOME, java on PATH and /usr/lib/jvm).
Install one, e.g. Eclipse Temurin 25 (https://adoptium.net, or the temurin-25-jdk package from
Adoptium's apt repository), then set EDGEOPT_JAVA_HOME to its folder.
MSG
exit 1
