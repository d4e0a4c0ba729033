declare module "h5wasm-plugins" {
  export const base_url: string;
  export const plugin_names: string[];
  export function install_local_plugins(module: unknown): void;
}
