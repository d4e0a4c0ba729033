/**
 * `@daqkit/io/arrow`: the Arrow half of the platform layer's type map (platform-neutral; needs the
 * `apache-arrow` peer dependency). Kept out of the main entry so that importing `@daqkit/io` does
 * not load apache-arrow (~0.1 s of start-up).
 */
export { arrowTypeOfNumpy, arrowTypeOfTypedArray, typedArrayConstructorOfArrowType } from "./arrow-map.js";
