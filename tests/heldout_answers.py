"""Typed answers the scorer was never tuned on, each judged by a careful interviewer.

They were written before the scorer was, in the voices of real candidates: strong
answers in their own words, answers with typos, partial ones, wrong ones, answers
that state the opposite of a point, off-topic ones and bare keyword lists. Keep this
set honest: when the scorer disagrees with one, fix the scorer or the deck, not the
verdict here (unless the verdict itself was wrong, and then say why in the commit).
"""

from __future__ import annotations

from typing import NamedTuple


class Judged(NamedTuple):
    """One answer to a card, with an interviewer's verdict."""

    card_id: str
    label: str
    verdict: str
    answer: str


_RAMBLE = (
    " At my last job we had a monorepo with about forty services, each with its own"
    " Dockerfile, and the platform team owned the base images. We had a weekly"
    " meeting where we looked at build times and image sizes, and people brought"
    " ideas from blog posts. Some of them worked, some did not, and we kept notes in"
    " a wiki page that eventually nobody read. I learned a lot from reviewing pull"
    " requests from other teams and from the on-call rotations, which were busy."
)

LONG_STRONG = (
    "Docker caches every instruction as a layer, and when one instruction changes,"
    " that layer and every layer after it has to be rebuilt. So you order the"
    " Dockerfile from what changes least to what changes most: base image, system"
    " packages, then copy requirements.txt and run pip install, and copy the"
    " application code last. A code edit then reuses the dependency layer and builds"
    " get much faster." + _RAMBLE * 11
)[:5000]

LONG_OFF_TOPIC = (
    "I think the most important thing in an interview is to stay calm." + _RAMBLE * 12
)[:5000]


HELD_OUT: tuple[Judged, ...] = (
    # How can you reduce the size of a Docker image?
    Judged(
        "q-reduce-size",
        "strong",
        "pass",
        "Pick a lighter starting point, e.g. the -slim or alpine flavour of the"
        " language image rather than the full one. Use a multi stage Dockerfile:"
        " compile in one stage, then copy just the binary or wheels into the runtime"
        " stage. Clean up in the same RUN instruction where you install stuff"
        " (apt-get install ... && rm -rf /var/lib/apt/lists/*), because deleting"
        " files in a later layer doesn't shrink the earlier one. And keep junk out of"
        " the build context with a .dockerignore.",
    ),
    Judged(
        "q-reduce-size",
        "typos",
        "pass",
        "use a slimer base imgae like python:3.11-slim, add a .dockerignroe file, and"
        " do a multistage biuld so the compilers stay in the builder stage. also pip"
        " install --no-cache-dir so pip's cache isnt saved in the layer.",
    ),
    Judged(
        "q-reduce-size",
        "partial",
        "fail",
        "Use alpine as the base instead of ubuntu, it's way smaller.",
    ),
    Judged(
        "q-reduce-size",
        "partial",
        "fail",
        "I'd use a multi-stage build so the final image only has the compiled app,"
        " not the whole toolchain.",
    ),
    Judged(
        "q-reduce-size",
        "wrong",
        "fail",
        "Run docker image prune and docker system prune regularly so old layers get"
        " cleaned up, that makes the image smaller.",
    ),
    Judged(
        "q-reduce-size",
        "keywords",
        "fail",
        "alpine, multi-stage build, .dockerignore, --no-cache-dir, && chaining",
    ),
    Judged(
        "q-reduce-size",
        "wrong",
        "fail",
        "I wouldn't bother with a multi-stage build or a .dockerignore, those don't"
        " change much. Just use the full python image so nothing is missing, and"
        " squash it at the end.",
    ),
    # Why does the order of instructions in a Dockerfile matter?
    Judged(
        "q-instruction-order",
        "strong",
        "pass",
        "Docker caches the build step by step: each line of the Dockerfile gives you"
        " a layer, and as soon as one line changes, everything below it is rebuilt"
        " from scratch. So you want the stuff that hardly ever changes (base image,"
        " OS packages, then requirements.txt and the pip install) at the top, and the"
        " application source at the bottom. That way editing a .py file only re-runs"
        " the final COPY and the build takes seconds instead of minutes.",
    ),
    Judged(
        "q-instruction-order",
        "typos",
        "pass",
        "each instrution makes a layer thats cached. if one changes, all the layers"
        " after it get rebuilt, so put things that rarely chnage first - copy"
        " requirments.txt and pip install before you copy the app code. faster"
        " rebuilds.",
    ),
    Judged(
        "q-instruction-order",
        "partial",
        "fail",
        "Layers get cached, so order it well and builds are faster.",
    ),
    Judged(
        "q-instruction-order",
        "wrong",
        "fail",
        "It matters because you should copy the code first so the cache is used, then"
        " install the dependencies at the end.",
    ),
    Judged(
        "q-instruction-order",
        "off-topic",
        "fail",
        "The order of environment variables matters because later ENV lines override"
        " earlier ones in the shell.",
    ),
    Judged(
        "q-instruction-order",
        "keywords",
        "fail",
        "cache invalidation; layer ordering; requirements.txt before code; faster CI",
    ),
    Judged(
        "q-instruction-order",
        "long",
        "pass",
        LONG_STRONG,
    ),
    # What is .dockerignore and why is it important?
    Judged(
        "q-dockerignore",
        "strong",
        "pass",
        "It's a file next to the Dockerfile that tells the docker client which paths"
        " to leave out of the build context it uploads. Without it things like the"
        " .git directory, node_modules or a local venv get sent every time, which"
        " slows the build down, and worse, a .env or private key can end up baked"
        " into a layer. Excluding them also keeps the image lean.",
    ),
    Judged(
        "q-dockerignore",
        "partial",
        "fail",
        "It excludes files from the image, like .gitignore does for git.",
    ),
    Judged(
        "q-dockerignore",
        "wrong",
        "fail",
        "It tells Docker which files to ignore when it scans the image for"
        " vulnerabilities.",
    ),
    Judged(
        "q-dockerignore",
        "typos",
        "pass",
        ".dockerignore lists what not to send in the buidl context, so the uplaod to"
        " the daemon is smaller and builds are fatser. It also keeps secrets like"
        " .env and ssh keys and big dirs like .git and node_modules out of the image.",
    ),
    # Why is running a container as root dangerous?
    Judged(
        "q-root-danger",
        "strong",
        "pass",
        "Because the container shares the host's kernel, and UID 0 inside is UID 0"
        " outside unless you remap user namespaces. If someone pops your app, they're"
        " root in there, can install whatever they want, and any kernel"
        " vulnerability or a mounted /var/run/docker.sock gives them a straight path"
        " to the host. Running as an unprivileged user means a compromise does much"
        " less damage.",
    ),
    Judged(
        "q-root-danger",
        "partial",
        "fail",
        "Root can do anything inside the container, so it's a security risk.",
    ),
    Judged(
        "q-root-danger",
        "wrong",
        "fail",
        "It's not dangerous in practice, the container is a separate VM with its own"
        " kernel, so root inside can't touch the host.",
    ),
    Judged(
        "q-root-danger",
        "keywords",
        "fail",
        "uid 0, shared kernel, breakout, least privilege, blast radius",
    ),
    # How do you run a container as a non-root user?
    Judged(
        "q-run-non-root",
        "strong",
        "pass",
        "Add `RUN groupadd -r app && useradd -r -g app app` to the Dockerfile,"
        " `COPY --chown=app:app . /app` so the files belong to it, and `USER app`"
        " before the CMD. You can also force it at run time with `docker run --user"
        " 1000:1000`. Check with `docker exec <ctr> id`.",
    ),
    Judged(
        "q-run-non-root",
        "partial",
        "fail",
        "Put a USER line in the Dockerfile.",
    ),
    Judged(
        "q-run-non-root",
        "wrong",
        "fail",
        "Run the container with --privileged and drop to a normal user with sudo when"
        " needed.",
    ),
    # Explain how Docker's build cache works.
    Judged(
        "q-build-cache",
        "strong",
        "pass",
        "The builder looks at each step and asks whether it has already built exactly"
        " this step on top of exactly this parent. For COPY/ADD it compares a"
        " checksum of the files, for RUN just the command string. If yes, it reuses"
        " the layer; on the first mismatch, it stops using the cache and every"
        " following step runs again. Note RUN apt-get update won't pick up new"
        " packages unless you build with --no-cache.",
    ),
    Judged(
        "q-build-cache",
        "partial",
        "fail",
        "Docker remembers the layers from the previous build and reuses them if"
        " nothing changed.",
    ),
    Judged(
        "q-build-cache",
        "wrong",
        "fail",
        "Docker compares the modification times of your files, and only rebuilds the"
        " one layer that changed while the rest stay cached.",
    ),
    # How do you version and tag images for different environments?
    Judged(
        "q-tag-environments",
        "strong",
        "pass",
        "Every CI build is tagged with the commit SHA and, for releases, a semver"
        " like 2.4.1; those tags are immutable. We don't build per environment: the"
        " exact image that passed staging gets the prod tag added (or we deploy it by"
        " its sha256 digest), so what runs in prod is byte-for-byte what we tested"
        " and a rollback is just redeploying the previous version.",
    ),
    Judged(
        "q-tag-environments",
        "wrong",
        "fail",
        "We have a Dockerfile per environment, build a dev image, a staging image and"
        " a prod image separately, each tagged latest in its own repo.",
    ),
    Judged(
        "q-tag-environments",
        "partial",
        "fail",
        "Use semantic versioning for the tags, like 1.0.0, 1.1.0.",
    ),
    # What problems can you run into if production relies on the latest tag?
    Judged(
        "q-latest-prod",
        "strong",
        "pass",
        "latest is just what docker calls an image when you don't give a tag, it"
        " isn't guaranteed to be the newest. It gets overwritten on every push, so"
        " the same deployment manifest can pull different code tomorrow, different"
        " nodes might be on different builds depending on their cache, you can't"
        " tell from the manifest what's actually running, and rolling back is hard"
        " because there's no fixed name for the previous image.",
    ),
    Judged(
        "q-latest-prod",
        "off-topic",
        "fail",
        "We use Prometheus to alert on p99 latency in production and page the on-call.",
    ),
    Judged(
        "q-latest-prod",
        "typos",
        "pass",
        "latest isnt reproducable - the tag keeps moving so you dont know wich"
        " version is running, diferent nodes can run diferent versions, and rollback"
        " is hard.",
    ),
    # Scenario: slow CI builds.
    Judged(
        "scn-slow-ci",
        "strong",
        "pass",
        "First I read the build output and saw that the pip install step was never"
        " cached. The Dockerfile did COPY . . at the top and then pip install, so"
        " every commit invalidated the dependency layer. I moved COPY"
        " requirements.txt and the install above the code copy, added a"
        " .dockerignore for .git, and since our runners are throwaway I pushed the"
        " build cache to the registry with --cache-to/--cache-from. Pipeline build"
        " time went from ~10 minutes to about 1.",
    ),
    Judged(
        "scn-slow-ci",
        "wrong",
        "fail",
        "I'd just add --no-cache to every build so the results are always"
        " reproducible and buy faster runners.",
    ),
    Judged(
        "scn-slow-ci",
        "partial",
        "fail",
        "We switched the CI runners to bigger machines and enabled Docker layer"
        " caching.",
    ),
    # Scenario: a secret shipped in an image.
    Judged(
        "scn-secrets-shipped",
        "strong",
        "pass",
        "A scan with trivy flagged an AWS key in one of our images; docker history"
        " showed it came in with a COPY . . that picked up a .env. We revoked and"
        " rotated the key immediately, since removing the file in a new layer"
        " wouldn't help as the old layer still has it. Then we added .env, *.pem and"
        " .git to .dockerignore, rebuilt, pushed a clean image and deleted the old"
        " tags. Now CI runs a secret scan on every image and secrets come from our"
        " secrets manager at runtime.",
    ),
    Judged(
        "scn-secrets-shipped",
        "wrong",
        "fail",
        "I'd just add a RUN rm .env at the end of the Dockerfile and push again, that"
        " removes it from the image.",
    ),
    # Scenario: containers run as root.
    Judged(
        "scn-root-review",
        "partial",
        "fail",
        "Add USER nobody to the Dockerfiles.",
    ),
    # Concepts.
    Judged(
        "c-layer-order",
        "strong",
        "pass",
        "requirements.txt is copied first and pip install runs before the"
        " application code is copied, so when only the code changes the install"
        " layer comes straight from the cache.",
    ),
    Judged(
        "c-layer-order",
        "wrong",
        "fail",
        "It copies the code first and then installs the dependencies, so the"
        " dependency layer always gets reused.",
    ),
    Judged(
        "c-cache-invalidation",
        "wrong",
        "fail",
        "Running touch on a file invalidates the layer, and only that layer gets"
        " rebuilt.",
    ),
    # Nothing typed, and a long answer that says nothing.
    Judged("q-build-cache", "empty", "fail", ""),
    Judged("q-dockerignore", "empty", "fail", "   \n\t  "),
    Judged("q-reduce-size", "long", "fail", LONG_OFF_TOPIC),
)

# Written after the scorer's first tuning round, and run against it once: a second
# unseen set, weighted toward order and negation, where scorers slip most.
HELD_OUT_2: tuple[Judged, ...] = (
    Judged(
        "q-instruction-order",
        "strong",
        "pass",
        "Because of layer caching. Docker reuses a cached layer for each"
        " instruction until something changes, and from that point on every step is"
        " executed again. If you COPY the whole project before pip install, any code"
        " edit throws away the dependency install. Copy just requirements.txt,"
        " install, then copy the rest, and rebuilds take seconds.",
    ),
    Judged(
        "q-instruction-order",
        "wrong",
        "fail",
        "You want to copy your source code first and install the requirements"
        " afterwards, so the cache stays warm.",
    ),
    Judged(
        "q-build-cache",
        "strong",
        "pass",
        "Each Dockerfile instruction produces a layer. On rebuild Docker checks if it"
        " already has a layer for the same instruction on the same parent; for COPY"
        " it also hashes the files being copied. If it matches it's a cache hit and"
        " reused, otherwise that step and all later ones rebuild.",
    ),
    Judged("q-build-cache", "keywords", "fail", "layers cache hash invalidation"),
    Judged(
        "q-dockerignore",
        "wrong",
        "fail",
        ".dockerignore is where you list images that docker pull should skip.",
    ),
    Judged(
        "q-dockerignore",
        "strong",
        "pass",
        "It keeps stuff out of the build context so docker build doesn't upload it:"
        " .git, node_modules, virtualenvs, and above all secrets like .env files."
        " Less to send means faster builds and a smaller image.",
    ),
    Judged(
        "q-run-non-root",
        "strong",
        "pass",
        "In the Dockerfile: RUN adduser --system --uid 10001 appuser, then COPY"
        " --chown=appuser . /app and USER appuser. Afterwards docker exec into it and"
        " run whoami to verify it says appuser.",
    ),
    Judged("q-run-non-root", "partial", "fail", "Just pass --user 1000 to docker run."),
    Judged(
        "q-root-danger",
        "off-topic",
        "fail",
        "Running as root on your laptop is dangerous because you can delete system"
        " files by accident.",
    ),
    Judged(
        "q-root-danger",
        "strong",
        "pass",
        "A container isn't a VM: it's a process on the host kernel. As root, uid 0"
        " is the same uid 0 the host knows, so an attacker who compromises the app"
        " has full control inside and only the namespaces stand between them and the"
        " host; a kernel exploit or a mounted docker socket and they're out. Use a"
        " non-root user so the damage is limited.",
    ),
    Judged(
        "q-tag-environments",
        "strong",
        "pass",
        "Build the image once per commit and tag it with the git sha plus a semver on"
        " release. Promote by retagging the same image as staging and then prod"
        " instead of rebuilding, and deploy by digest so we can roll back.",
    ),
    Judged(
        "q-tag-environments",
        "wrong",
        "fail",
        "I'd rebuild it for prod from the same commit so it picks up the prod config.",
    ),
    Judged("q-latest-prod", "partial", "fail", "latest is mutable."),
    Judged(
        "q-latest-prod",
        "strong",
        "pass",
        "Because latest is a mutable tag: what it points to changes with every push,"
        " so deployments aren't reproducible, you can't tell which version runs"
        " where, nodes may have pulled different images, and rolling back means"
        " hunting for the old digest.",
    ),
    Judged(
        "scn-slow-ci",
        "strong",
        "pass",
        "The logs showed pip install running from scratch each time. Cause: COPY . ."
        " came before the dependency install, so any change invalidated it. I"
        " reordered to copy requirements.txt and install first, copy the code last,"
        " added --cache-from for our ephemeral runners, and builds dropped from 12"
        " minutes to 90 seconds.",
    ),
    Judged(
        "c-layer-order",
        "strong",
        "pass",
        "requirements.txt first, then pip install, and the app code last, because"
        " then code changes don't cause a reinstall: the dependency layer stays"
        " cached.",
    ),
)
