#!/usr/bin/env node
'use strict'
// The `calllogs-contract` command: the contract suite, the schemas and the reference server (see
// `calllogs-contract --help`).
require('./command.js')('calllogs-contract', 'runCli')
