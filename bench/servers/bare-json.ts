// (a) A bare Fastify route returning a constant JSON body: the framework's own ceiling.
import Fastify from 'fastify'
import { announce, PORT } from './shared.js'

const app = Fastify()
app.get('/o/:provider/', async () => ({ authorization_url: 'https://provider.example/authorize' }))
announce(await app.listen({ port: PORT, host: '127.0.0.1' }))
