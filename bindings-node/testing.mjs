import cjs from './testing.js'

export const { ReferenceServer } = cjs
export default cjs
