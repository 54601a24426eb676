# ComfySnap gateway image: ComfyUI's HTTP + WebSocket API in front of the worker queue. No torch,
# no node code: it validates prompts against the node catalog the workers publish to Redis.
# ASP.NET Core runtime only (the official image by default; `./comfysnap containers base` makes a
# local stand-in where no registry is reachable):
#   podman build -f deploy/gateway.Dockerfile --build-arg SDK_IMAGE=... --build-arg RUNTIME_IMAGE=... .
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0

FROM ${SDK_IMAGE} AS build
WORKDIR /src
# Only what the gateway's build reads: its own project and the libraries it references.
COPY Directory.Build.props Directory.Packages.props ./
COPY src src
# For the image's architecture only (docker/podman set TARGETARCH; the SDK maps amd64 to x64): one
# libSkiaSharp instead of sixteen, about 22 MB in all.
ARG TARGETARCH
RUN dotnet publish src/Gateway -c Release -a "${TARGETARCH:-amd64}" --self-contained false -o /app/gateway -nologo -v q

FROM ${RUNTIME_IMAGE}
COPY --from=build /app/gateway /app/gateway
# No broker address or credential here: they come at run time (environment or secret files).
# All interfaces inside the container (the default is loopback, as ComfyUI's): publish the port on purpose.
ENV DOTNET_EnableDiagnostics=0 \
    MASSTRANSIT_USAGE_TELEMETRY=false \
    COMFYSNAP_Gateway__Listen=http://0.0.0.0:8188
EXPOSE 8188
# A probe without curl (not in the runtime image): bash's /dev/tcp, an HTTP/1.0 GET of /ready.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8188 && printf 'GET /ready HTTP/1.0\\r\\n\\r\\n' >&3 && head -1 <&3 | grep -q ' 200 '"]
# The official image's unprivileged "app" user, by number so a local stand-in base works too.
USER 1654
WORKDIR /app/gateway
ENTRYPOINT ["dotnet", "/app/gateway/ComfySnap.Gateway.dll"]
