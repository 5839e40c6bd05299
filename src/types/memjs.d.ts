// Narrow typings for memjs 1.3's Client, the raw peer the benchmarks compare MemcacheCluster
// against. authring itself no longer uses memjs: src/cluster/connection.ts speaks the binary
// protocol on its own socket.
declare module 'memjs' {
  interface ClientOptions {
    timeout?: number;
    conntimeout?: number;
    retries?: number;
    keepAlive?: boolean;
  }

  class Client {
    static create(servers?: string, options?: ClientOptions): Client;
    get(key: string): Promise<{ value: Buffer | null; flags: Buffer | null }>;
    set(key: string, value: string | Buffer, options?: { expires?: number }): Promise<boolean>;
    close(): void;
  }

  const memjs: { Client: typeof Client };
  export default memjs;
  export type { ClientOptions };
}
