"""Record a new image digest in a kustomize overlay, as a git commit (GitOps).

    python -m gitops_ml.deploy.gitops --image ghcr.io/OWNER/REPO@sha256:HEX [--overlay DIR] [--commit]

The overlay's ``images:`` entry for the base image (``model-service``) gets ``newName`` and
``digest`` (a digest, never a tag: what was tested is exactly what runs, and a tag cannot move
under it). Only those two lines change, so comments and layout survive; the result is parsed
again and checked. With ``--commit`` the change is committed (``deploy: ...`` message naming the
source commit); pushing it, directly or as a pull request, is the workflow's job
(``python -m gitops_ml.deploy.github_pr`` for the latter). Prints ``changed`` or ``unchanged``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from gitops_ml.deploy import DeployError, cli

PRODUCTION_OVERLAY = Path("deploy/overlays/production")
BASE_IMAGE = "model-service"  # the image name deploy/base/deployment.yaml refers to (neutral: any project)
IMAGE_REFERENCE = re.compile(
    r"^(?P<name>[a-z0-9]+(?:[._/-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9._-]+)*)@(?P<digest>sha256:[0-9a-f]{64})$"
)


@dataclass(frozen=True)
class ImageReference:
    name: str  # registry/repository, e.g. ghcr.io/owner/repo
    digest: str  # sha256:<64 hex>

    @classmethod
    def parse(cls, reference: str) -> ImageReference:
        match = IMAGE_REFERENCE.match(reference.strip())
        if not match:
            raise DeployError(f"{reference!r} is not an image reference by digest (REGISTRY/NAME@sha256:<64 hex>)")
        return cls(match["name"], match["digest"])

    def __str__(self) -> str:
        return f"{self.name}@{self.digest}"


def _images(kustomization: dict) -> list[dict]:
    images = kustomization.get("images") or []
    if not isinstance(images, list):
        raise DeployError("`images:` in the kustomization is not a list")
    return images


def set_image(text: str, image: ImageReference, base_image: str = BASE_IMAGE) -> str:
    """The kustomization text with ``base_image`` pointing at ``image`` (comments kept)."""
    try:
        current = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        raise DeployError(f"kustomization is not valid YAML: {error}") from None
    entries = [entry for entry in _images(current) if entry.get("name") == base_image]
    if not entries:
        block = yaml.safe_dump({"images": [{"name": base_image, "newName": image.name, "digest": image.digest}]})
        updated = text.rstrip("\n") + "\n" + block if "images:" not in text else None
        if updated is None:
            raise DeployError(f"`images:` has no entry named {base_image!r}; add one (name, newName, digest)")
    else:
        updated = _rewrite_entry(text, base_image, image)
    check = [entry for entry in _images(yaml.safe_load(updated)) if entry.get("name") == base_image]
    expected = {"name": base_image, "newName": image.name, "digest": image.digest}
    if len(check) != 1 or {key: check[0].get(key) for key in expected} != expected or "newTag" in check[0]:
        raise DeployError(f"could not rewrite the {base_image!r} image entry safely; edit it by hand once")
    return updated


def _rewrite_entry(text: str, base_image: str, image: ImageReference) -> str:
    """Replace newName/digest (and drop newTag) inside the list item whose name is base_image."""
    lines = text.splitlines(keepends=True)
    item_start = re.compile(rf"^(\s*)-\s+name:\s*['\"]?{re.escape(base_image)}['\"]?\s*(#.*)?$")
    start = next((i for i, line in enumerate(lines) if item_start.match(line)), None)
    if start is None:
        raise DeployError(f"cannot find `- name: {base_image}` in `images:`; use block style for that entry")
    indent = len(lines[start]) - len(lines[start].lstrip()) + 2  # the item's keys sit under "- "
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) >= indent):
        end += 1
    item = [line for line in lines[start + 1 : end] if not re.match(r"^\s*newTag:", line)]
    values = {"newName": image.name, "digest": image.digest}
    for key, value in values.items():
        pattern = re.compile(rf"^(\s*{key}:\s*)[^\s#]+(.*)$", re.DOTALL)

        def replace(m: re.Match[str], v: str = value) -> str:
            return f"{m.group(1)}{v}{m.group(2)}"

        for index, line in enumerate(item):
            if pattern.match(line):
                item[index] = pattern.sub(replace, line)
                break
        else:
            item.append(f"{' ' * indent}{key}: {value}\n")
    return "".join(lines[: start + 1] + item + lines[end:])


def git(args: list[str], cwd: Path) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise DeployError(f"git {' '.join(args)} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout.strip()


def record_digest(image: ImageReference, overlay: Path, commit: bool, source_commit: str | None = None) -> bool:
    """Write the digest into ``overlay``/kustomization.yaml; commit when asked. True if it changed."""
    path = overlay / "kustomization.yaml"
    if not path.exists():
        raise DeployError(f"{path} does not exist")
    text = path.read_text()
    updated = set_image(text, image)
    if updated == text:
        return False
    path.write_text(updated)
    if commit:
        repo = Path(git(["rev-parse", "--show-toplevel"], overlay))
        git(["add", str(path.resolve().relative_to(repo))], repo)
        source = source_commit or os.environ.get("GITHUB_SHA") or git(["rev-parse", "HEAD"], repo)
        message = f"deploy: {overlay.name} runs {image.digest[:19]}\n\nImage {image}\nBuilt from {source}\n"
        git(["commit", "--quiet", "-m", message], repo)
    return True


@cli
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", required=True, help="REGISTRY/NAME@sha256:HEX")
    parser.add_argument("--overlay", type=Path, default=PRODUCTION_OVERLAY)
    parser.add_argument("--commit", action="store_true", help="commit the change (not pushed)")
    parser.add_argument("--source-commit", help="the commit the image was built from (default: $GITHUB_SHA or HEAD)")
    args = parser.parse_args(argv)
    changed = record_digest(ImageReference.parse(args.image), args.overlay, args.commit, args.source_commit)
    print("changed" if changed else "unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
