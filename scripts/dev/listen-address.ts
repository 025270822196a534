// Where `npm run dev` lets wrangler listen. The development JWT_SECRET is published (config.ts), so
// a server holding it must be reachable from this machine only: whoever else reaches it mints an
// admin token, and the Worker's own loopback check reads a Host header any client can write.

/** Loopback: 127.0.0.0/8, ::1, or the name localhost, in any form the address parser accepts. */
export function isLoopbackAddress(address: string): boolean {
  const text = address.trim().replace(/^\[(.*)\]$/, "$1");
  if (text === "") return false;
  let host: string;
  try {
    // The URL parser reads an address as the socket layer does (127.1, 0x7f.0.0.1,
    // 0:0:0:0:0:0:0:1) and writes it in one canonical form.
    host = new URL(`http://${text.includes(":") ? `[${text}]` : text}/`).hostname;
  } catch {
    return false;
  }
  return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The values of `--name X` and `--name=X` among the arguments, in order. */
function flagValues(args: readonly string[], names: readonly string[]): string[] {
  const values: string[] = [];
  for (const [i, arg] of args.entries()) {
    for (const name of names) {
      if (arg === name) values.push(args[i + 1] ?? "");
      else if (arg.startsWith(`${name}=`)) values.push(arg.slice(name.length + 1));
    }
  }
  return values;
}

/** A key's quoted value in the `[dev]` table of a wrangler.toml. */
function devTableValue(toml: string, key: string): string | undefined {
  const table = /^\[dev\]\s*$([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(toml)?.[1] ?? "";
  return new RegExp(`^\\s*${key}\\s*=\\s*["']([^"']*)["']`, "m").exec(table)?.[1];
}

export interface ListenContext {
  /** The wrangler configuration `wrangler dev` reads (its `[dev]` table may name an address). */
  wranglerToml: string;
  /** Whether the Worker would verify tokens with the published development JWT_SECRET. */
  developmentSecret: boolean;
}

/**
 * Why `npm run dev` must not start with these `wrangler dev` arguments, or an empty list. A
 * non-loopback listening address is refused while the development secret is in force; the
 * inspector (`--inspector-ip`) runs any code in the Worker, whatever its secret, and is refused
 * on any address but loopback.
 */
export function listenRefusals(args: readonly string[], context: ListenContext): string[] {
  const refusals: string[] = [];
  const listen = flagValues(args, ["--ip"]);
  const configured = devTableValue(context.wranglerToml, "ip");
  const addresses = listen.length > 0 ? listen : configured === undefined ? [] : [configured];
  for (const address of addresses.filter((a) => !isLoopbackAddress(a))) {
    if (!context.developmentSecret) continue;
    refusals.push(
      `refusing to listen on ${JSON.stringify(address)}: the development JWT_SECRET is public, so anyone ` +
        "who reaches this address could sign an admin token. Listen on loopback (127.0.0.1, ::1, localhost), " +
        "or put a JWT_SECRET of your own in .dev.vars (see .dev.vars.example) to serve other machines.",
    );
  }
  const inspector = flagValues(args, ["--inspector-ip", "--inspectorIp"]);
  const configuredInspector = devTableValue(context.wranglerToml, "inspector_ip");
  if (configuredInspector !== undefined && inspector.length === 0) inspector.push(configuredInspector);
  for (const address of inspector.filter((a) => !isLoopbackAddress(a))) {
    refusals.push(
      `refusing to open the inspector on ${JSON.stringify(address)}: it runs any code in the Worker, ` +
        "secrets included; keep it on loopback.",
    );
  }
  return refusals;
}
