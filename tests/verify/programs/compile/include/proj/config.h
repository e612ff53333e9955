#ifndef PROJ_CONFIG_H
#define PROJ_CONFIG_H
#define PROJ_BUFFER 64
#endif
