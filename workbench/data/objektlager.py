"""A data directory in object storage (S3 API): `FFB_WORKBENCH_DATA=s3://bucket/prefix` and
`ffb-workbench import SRC --til s3://bucket/prefix`.

The layout under the prefix is the local data directory's (workbench/data/importer/versioner.py):

    PREFIX/versions/<version-id>/...      one version, the same files as on disk (manifest.json included)
    PREFIX/import_history.jsonl           one JSON record per import
    PREFIX/CURRENT                        the current version id, written last

Writing: `upload_version` puts a version's files (import.json first, create-only, which claims the
version id across replicas; manifest.json last); the importer then writes CURRENT. A version whose
CURRENT was never written (a killed import) is never read.

Reading: `local_version_dir` reads CURRENT and the version's manifest.json, then copies the version
once into a local cache keyed on (location, version id, manifest checksum). Every file the manifest
lists is checked against its sha256 while it is copied, and the copy is renamed into place only when
complete, so the files the workbench reads are exactly the verified bytes (no second download, no
window between checking and reading). The cached copy is then opened like any local version, so
`open_trusted` verifies the typed files against the manifest on every open, as for a local path.

Credentials and endpoint come from the standard environment only (AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_ENDPOINT_URL, AWS_REGION); a URL carrying credentials
or options is refused, and no message names a credential. Plain http is allowed for a loopback
endpoint (a local test server) or with AWS_ALLOW_HTTP=true.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from data_model.paths import COMPLETE, home_dir, is_object_url, object_url  # COMPLETE: written into a cached copy last
from workbench.data.laesning import DatasetError

CURRENT = "CURRENT"
VERSIONS = "versions"
HISTORY = "import_history.jsonl"
MANIFEST = "manifest.json"
REPORT = "import.json"
KEEP_CACHED = 3  # cached versions kept per location (the current one and the two copied before it)


def is_url(location) -> bool:
    return is_object_url(location)


def split(location) -> tuple[str, str, str]:
    """(canonical url, bucket, prefix without slashes) of s3://bucket/prefix; refuses credentials,
    ports or options in the URL (they belong in the environment)."""
    url = object_url(location)
    parts = urlsplit(url)
    if parts.username or parts.password or "@" in parts.netloc or parts.query or parts.fragment or ":" in parts.netloc:
        raise DatasetError("en s3://-adresse må kun indeholde bucket og sti; nøgler og endpoint angives i "
                           "miljøet (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL)")
    bucket, prefix = parts.netloc, parts.path.strip("/")
    if not bucket:
        raise DatasetError(f"{url}: mangler bucket (s3://bucket/sti)")
    return url, bucket, prefix


def _allow_http() -> bool:
    if os.environ.get("AWS_ALLOW_HTTP", "").lower() in ("1", "true", "yes"):
        return True
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL_S3") or ""
    host = urlsplit(endpoint).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _store(bucket: str):
    """An obstore S3 client for `bucket`; obstore reads AWS_* from the environment itself."""
    from obstore.store import S3Store

    return S3Store(bucket, client_options={"allow_http": _allow_http(), "timeout": "60s"})


def _fail(url: str, what: str, exc: BaseException) -> DatasetError:
    # the reason's first line only (it names the endpoint and key, never a credential)
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
    return DatasetError(f"{url}: {what} ({type(exc).__name__}: {reason})")


def _key(prefix: str, rel: str) -> str:
    return f"{prefix}/{rel}" if prefix else rel


def get(location, rel: str) -> bytes | None:
    """The object PREFIX/rel, or None when it does not exist."""
    import obstore

    url, bucket, prefix = split(location)
    try:
        return bytes(obstore.get(_store(bucket), _key(prefix, rel)).bytes())
    except FileNotFoundError:
        return None
    except Exception as exc:  # noqa: BLE001 - network, credentials, endpoint: one line for the user
        raise _fail(url, f"kan ikke læse {rel} fra objektlageret", exc) from None


def put(location, rel: str, data: bytes | Path, *, create: bool = False) -> None:
    """Write PREFIX/rel from bytes or a local file (a large file goes up in parts, never whole in
    memory); create=True refuses to overwrite an existing object (conditional put)."""
    import obstore
    from obstore.exceptions import AlreadyExistsError

    url, bucket, prefix = split(location)
    try:
        obstore.put(_store(bucket), _key(prefix, rel), data, mode="create" if create else "overwrite")
    except AlreadyExistsError:
        raise DatasetError(f"{url}/{rel} findes allerede: en anden import skriver samme version; prøv igen") from None
    except Exception as exc:  # noqa: BLE001
        raise _fail(url, f"kan ikke skrive {rel} i objektlageret", exc) from None


def list_keys(location, rel: str) -> list[str]:
    """Every object under PREFIX/rel/, relative to PREFIX/rel/."""
    import obstore

    url, bucket, prefix = split(location)
    base = _key(prefix, rel).rstrip("/") + "/"
    try:
        return sorted(o["path"][len(base):] for page in obstore.list(_store(bucket), prefix=base) for o in page)
    except Exception as exc:  # noqa: BLE001
        raise _fail(url, f"kan ikke liste {rel} i objektlageret", exc) from None


# --- the data directory's files ------------------------------------------------------------------

def current_version(location) -> str | None:
    """The version id CURRENT names; None when there is no CURRENT (or it is empty)."""
    data = get(location, CURRENT)
    if data is None:
        return None
    return data.decode("utf-8").strip() or None


def list_version_ids(location) -> list[str]:
    """Version ids with at least one object (a killed upload's too: its id is never reused)."""
    return sorted({k.split("/", 1)[0] for k in list_keys(location, VERSIONS) if "/" in k})


def complete_version_ids(location) -> list[str]:
    """Version ids whose upload finished (manifest.json is uploaded last): the ones a rollback may name."""
    return sorted({k.split("/", 1)[0] for k in list_keys(location, VERSIONS) if k.endswith(f"/{MANIFEST}")
                   and k.count("/") == 1})


def read_history(location) -> list[dict]:
    data = get(location, HISTORY)
    out = []
    for line in (data or b"").decode("utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def append_history(location, record: dict) -> None:
    """Add one line to import_history.jsonl (read, append, write: objects cannot be appended to;
    imports into one location are one at a time per host, see importer.data_dir_lock)."""
    old = get(location, HISTORY) or b""
    if old and not old.endswith(b"\n"):
        old += b"\n"
    put(location, HISTORY, old + (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))


def upload_version(location, version: str, local_dir: Path) -> None:
    """Put every file of a finished local version directory under PREFIX/versions/<version>/:
    import.json first and create-only (a second writer of the same id is refused before it writes
    anything), manifest.json last. CURRENT is not touched (the caller writes it after this)."""
    files = sorted(p for p in local_dir.rglob("*") if p.is_file())
    rels = [p.relative_to(local_dir).as_posix() for p in files]
    order = sorted(zip(rels, files), key=lambda rf: (rf[0] != REPORT, rf[0] == MANIFEST, rf[0]))
    for rel, f in order:
        # import.json create-only: it claims the id, so nobody else's files are ever overwritten
        put(location, f"{VERSIONS}/{version}/{rel}", f.read_bytes() if rel == REPORT else f, create=rel == REPORT)


def write_current(location, version: str) -> None:
    put(location, CURRENT, (version + "\n").encode("utf-8"))
    _lookups.pop(split(location)[0], None)


# --- reading a version through the verified local cache -------------------------------------------

def cache_root(location) -> Path:
    """The local cache of one object-storage location (FFB_WORKBENCH_HOME/objektlager/...)."""
    url, _, prefix = split(location)
    name = (prefix.rsplit("/", 1)[-1] or "rod")[:40]
    return home_dir() / "objektlager" / f"{name}-{hashlib.sha1(url.encode()).hexdigest()[:12]}"


def _expected(manifest: dict) -> dict[str, dict]:
    """rel path -> {sha256, bytes, mtime_ns?} for every file the manifest vouches for."""
    out: dict[str, dict] = {}
    for rel, entry in (manifest.get("kilder") or {}).items():
        if isinstance(entry, dict):
            out[rel] = entry
    for rel, entry in (manifest.get("filer") or {}).items():
        if isinstance(entry, dict):
            out[rel] = entry
    return out


# One page run asks for the current version several times (about 7 for Overblik); each answer is
# reused for LOOKUP_SECONDS in this process (FFB_WORKBENCH_S3_TTL; 0: ask the bucket every time), so a
# new CURRENT is seen by the next page load at most that long after it was written. Writing CURRENT
# in this process forgets the answer at once.
_lookups: dict[str, tuple[float, Path]] = {}


def _lookup_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get("FFB_WORKBENCH_S3_TTL", "1")))
    except ValueError:
        return 1.0


def local_version_dir(location) -> Path:
    """local_version_dir_uncached, its answer reused for a second (see _lookups)."""
    url, _, _ = split(location)
    ttl = _lookup_seconds()
    hit = _lookups.get(url)
    if ttl and hit is not None and time.monotonic() - hit[0] < ttl and (hit[1] / COMPLETE).is_file():
        return hit[1]
    target = local_version_dir_uncached(url)
    if ttl:
        _lookups[url] = (time.monotonic(), target)
    return target


def local_version_dir_uncached(location) -> Path:
    """The current version of an object-storage data directory as a verified local directory.

    CURRENT decides which version is read (a version without CURRENT is never read). The copy is
    cached under (version id, manifest checksum); a cached copy is reused only when its manifest is
    the one in the bucket. DatasetError: no CURRENT, CURRENT naming a missing version, or a file that
    does not match the manifest (its checksum or size)."""
    url, _, _ = split(location)
    version = current_version(url)
    if version is None:
        raise DatasetError(f"{url}: ingen CURRENT; ikke en data-mappe skrevet af 'ffb-workbench import --til {url}'")
    if "/" in version or version.startswith("."):
        raise DatasetError(f"{url}: CURRENT er ugyldig")
    vrel = f"{VERSIONS}/{version}"
    raw_manifest = get(url, f"{vrel}/{MANIFEST}")
    if raw_manifest is None:
        raise DatasetError(f"{url}: CURRENT peger på en version, der ikke findes eller er ufuldstændig ({version})")
    key = hashlib.sha256(raw_manifest).hexdigest()[:16]
    root = cache_root(url)
    target = root / f"{version}-{key}"
    if (target / COMPLETE).is_file() and (target / MANIFEST).is_file() and \
            hashlib.sha256((target / MANIFEST).read_bytes()).hexdigest()[:16] == key:
        return target  # open_trusted verifies the typed files against this manifest on every open
    _download(url, vrel, raw_manifest, root, target)
    _prune(root, keep=target)
    return target


def cached_version_key(directory: Path) -> str | None:
    """The version key of a cached copy (None: not one): from the location, version id and manifest
    checksum, not from the local path or the files' mtimes, so every replica has the same key for the
    same version (it goes into shared state, e.g. a review's datasaet_version)."""
    marker = directory / COMPLETE
    if not marker.is_file():
        return None
    return hashlib.sha1(marker.read_bytes()).hexdigest()[:16]


def _fetch_to(location, rel: str, dest: Path) -> tuple[str, int]:
    """Stream PREFIX/rel into dest, hashing on the way (a national table never sits in memory
    whole): (sha256, bytes)."""
    import obstore

    url, bucket, prefix = split(location)
    h, size = hashlib.sha256(), 0
    try:
        with dest.open("wb") as fh:
            for chunk in obstore.get(_store(bucket), _key(prefix, rel)).stream(min_chunk_size=4 << 20):
                view = memoryview(chunk)
                h.update(view)
                fh.write(view)
                size += len(view)
    except FileNotFoundError:
        raise DatasetError(f"{url}: {rel.split('/', 2)[-1]} forsvandt under læsningen; prøv igen") from None
    except OSError as exc:
        if exc.errno is not None:  # the local disk (full, read-only): not the object store's fault
            raise DatasetError(f"{dest.parent}: kan ikke skrive den lokale kopi ({exc.strerror})") from None
        raise _fail(url, f"kan ikke læse {rel} fra objektlageret", exc) from None
    except Exception as exc:  # noqa: BLE001
        raise _fail(url, f"kan ikke læse {rel} fra objektlageret", exc) from None
    return h.hexdigest(), size


def safe_rel(rel: str) -> bool:
    """A relative path that stays inside the directory it is joined to: no empty, '.', '..' or
    hidden segments, no backslashes."""
    parts = rel.split("/")
    return bool(rel) and "\\" not in rel and all(p and not p.startswith(".") for p in parts)


def _download(url: str, vrel: str, raw_manifest: bytes, root: Path, target: Path) -> None:
    try:
        manifest = json.loads(raw_manifest.decode("utf-8"))
    except ValueError:
        manifest = {}
    expected = _expected(manifest if isinstance(manifest, dict) else {})
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=root))
    try:
        rels = [r for r in list_keys(url, vrel) if r and not r.endswith("/")]
        missing = sorted(set(expected) - set(rels))
        if missing:
            raise DatasetError(f"{url}: {missing[0]} mangler, men står i {MANIFEST}: versionen er ufuldstændig")
        for rel in rels:
            if not safe_rel(rel):
                continue  # never written outside the copy (an odd key such as '/x', 'a/../b', '.x')
            f = tmp / rel
            f.parent.mkdir(parents=True, exist_ok=True)
            if rel == MANIFEST:
                f.write_bytes(raw_manifest)  # the one whose checksum names the copy
                continue
            sha, size = _fetch_to(url, f"{vrel}/{rel}", f)
            want = expected.get(rel)
            if want is not None:
                if size != want.get("bytes"):
                    raise DatasetError(f"{rel} matcher ikke {MANIFEST} i {url} (forkert størrelse): "
                                       "filen er afkortet eller ændret")
                if sha != want.get("sha256"):
                    raise DatasetError(f"{rel} matcher ikke {MANIFEST} i {url} (kontrolsum): "
                                       "filen er ændret efter validering")
            if want is not None and isinstance(want.get("mtime_ns"), int):
                # a source file verified by its checksum gets the manifest's mtime, so the open
                # below trusts it by size and mtime as for the local directory it came from
                os.utime(f, ns=(want["mtime_ns"], want["mtime_ns"]))
        # the marker names what was copied; it is also the version key on every replica (version_key)
        (tmp / COMPLETE).write_text(f"{url}/{vrel}\n{hashlib.sha256(raw_manifest).hexdigest()}\n", encoding="utf-8")
        try:
            os.rename(tmp, target)
        except OSError:  # another process cached the same version meanwhile, or a stale copy is in the way
            if (target / COMPLETE).is_file():
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                shutil.rmtree(target, ignore_errors=True)
                os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _prune(root: Path, keep: Path) -> None:
    """Keep the newest KEEP_CACHED cached versions of a location (older ones are fetched again if
    a rollback makes them current); remove stale temp dirs of killed copies."""
    for p in root.iterdir():  # a copy killed half-way (a hidden temp dir) an hour ago is debris
        if p.is_dir() and p.name.startswith(".") and time.time() - p.stat().st_mtime > 3600:
            shutil.rmtree(p, ignore_errors=True)
    done = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                  key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for p in done[KEEP_CACHED:]:
        if p != keep:
            shutil.rmtree(p, ignore_errors=True)
