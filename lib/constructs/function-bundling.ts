import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/**
 * esbuild emits ESM, but bundled CommonJS dependencies still call `require` for Node built-ins.
 * The alias avoids clashing with a bundled module's own top-level `createRequire` import.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __ragCreateRequire } from 'node:module'; const require = __ragCreateRequire(import.meta.url);";

/**
 * Credential providers of the SDK's default chain that a Lambda function never reaches: the chain
 * tries the environment first, and Lambda always puts the execution role's credentials there. The
 * chain imports these lazily (`await import(...)`), so leaving them out of the bundle only removes
 * code that is never loaded (≈ 100 kB, among them the STS and SSO clients of
 * `@aws-sdk/nested-clients`); a process without credentials in its environment would fail on
 * loading one of them instead of on finding no credentials (test/unit/function-bundle.test.ts).
 */
export const UNREACHED_CREDENTIAL_PROVIDERS = [
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-http',
  '@aws-sdk/credential-provider-login',
  '@smithy/credential-provider-imds',
  '@aws-sdk/nested-clients',
];

/**
 * How every function of the project is bundled (DESIGN 7): the local esbuild (no Docker), one
 * minified ESM file with the AWS SDK inside (the runtime's external SDK loads slower) and the SDK's
 * ESM builds picked through `mainFields`, with an external source map. Shared by BundledFunction and
 * the cold-start benchmark, so that the benchmark measures the very file CDK deploys. Only a type
 * import of CDK: the benchmark must not load aws-cdk-lib to read these options.
 */
export const FUNCTION_BUNDLING = {
  format: 'esm' as nodejs.OutputFormat.ESM,
  /** The runtime is NODEJS_24_X; CDK would derive the same target from it. */
  target: 'node24',
  /** Picks the AWS SDK's tree-shakable ESM builds instead of its pre-bundled CommonJS. */
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  minify: true,
  // Error classes set `name` from `new.target.name`; keep it readable in logs.
  keepNames: true,
  sourceMap: true,
  sourcesContent: false,
  bundleAwsSDK: true,
  externalModules: UNREACHED_CREDENTIAL_PROVIDERS,
  forceDockerBundling: false,
} satisfies nodejs.BundlingOptions;

/**
 * Node flag that maps stack traces through the bundle's .map file. Off by default: Node reads and
 * parses the whole map at module load, which the cold-start benchmark measured at ≈ 40 ms of init
 * (about a quarter of it). The .map file still ships with the bundle, so a trace can be mapped offline.
 */
export const SOURCE_MAPS_NODE_OPTION = '--enable-source-maps';

/** A function's `NODE_OPTIONS`, if any. */
export function functionNodeOptions(
  options: { readonly enableSourceMaps?: boolean } = {},
): string | undefined {
  return options.enableSourceMaps ? SOURCE_MAPS_NODE_OPTION : undefined;
}

/**
 * The esbuild options `NodejsFunction` derives from the bundling props (see aws-lambda-nodejs
 * `Bundling.buildEsbuildArgs`): `--bundle --platform=node --target --format --minify --sourcemap
 * --sources-content --external --keep-names --banner:js --main-fields`. The cold-start benchmark
 * and the bundle test build with these, so they measure the very file CDK deploys.
 */
export function cdkEsbuildOptions(bundling: typeof FUNCTION_BUNDLING = FUNCTION_BUNDLING): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    target: bundling.target,
    format: bundling.format,
    minify: bundling.minify,
    sourcemap: bundling.sourceMap,
    sourcesContent: bundling.sourcesContent,
    keepNames: bundling.keepNames,
    banner: { js: bundling.banner },
    mainFields: bundling.mainFields,
    external: [...bundling.externalModules],
    logLevel: 'error',
  };
}
