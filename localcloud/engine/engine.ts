// The seam where an upscaler plugs in: input file + options -> output file, with progress.
export interface UpscaleOptions {
  /** Target video bitrate in Mbps. */
  bitRateMbps: number;
  /** Called with 0..1 as the work advances. */
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

export interface Engine {
  readonly name: string;
  /** Writes `output` as H.264 in MP4 at twice the input's width and height, keeping audio and duration. */
  upscale(input: string, output: string, options: UpscaleOptions): Promise<void>;
}
